/* Accessibility fixes for Dash 4's dropdown, applied whenever the page changes.

   1. The dropdown is a <button> named only by its value (aria-labelledby points at the
      value). Add the visible <label for=…> to the name, so a screen reader says
      "Län, Östergötlands län" rather than just "Östergötlands län".
   2. Keyboard focus reaches the button through a hidden, focusable <input>
      (aria-hidden + tabindex 0, which WCAG forbids). Take the input out of the tab order
      and let Tab land on the button itself; Enter and arrow keys open it as before. */
(function () {
  var pending = false;
  function fix() {
    pending = false;
    var labels = document.querySelectorAll("label[for]");
    for (var i = 0; i < labels.length; i++) {
      var label = labels[i];
      var target = document.getElementById(label.htmlFor);
      if (!target || target.tagName !== "BUTTON") continue;
      if (!label.id) label.id = label.htmlFor + "--label";
      var current = target.getAttribute("aria-labelledby") || "";
      if (current.split(" ").indexOf(label.id) === -1) {
        target.setAttribute("aria-labelledby", (label.id + " " + current).trim());
      }
    }
    var traps = document.querySelectorAll("input.dash-dropdown-focus-target");
    for (var j = 0; j < traps.length; j++) {
      var trap = traps[j];
      if (trap.tabIndex !== -1) trap.tabIndex = -1;
      var button = trap.nextElementSibling;
      if (button && button.tagName === "BUTTON" && !button.disabled && button.tabIndex !== 0) {
        button.tabIndex = 0;
      }
    }
  }
  new MutationObserver(function () {
    if (!pending) {
      pending = true;
      window.requestAnimationFrame(fix);
    }
  }).observe(document.documentElement, {
    subtree: true,
    childList: true,
    attributes: true,
    attributeFilter: ["aria-labelledby", "tabindex"],
  });
})();
