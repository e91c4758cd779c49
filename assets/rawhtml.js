/* Fill elements carrying server-built markup (views/rawhtml.py): <div data-rawhtml="…">.
   The server escapes every text in the markup; here it is only put in place, when the element
   is added to the page and whenever a callback changes the attribute.
   Inside an element marked data-label-tips (views/board_table.py's LABEL_TIPS), every element with
   an aria-label and no title gets the label as its title: the long description of a board cell is
   the screen reader's name and the mouse's tooltip, but travels once. */
(function () {
  var ATTRIBUTE = "data-rawhtml";
  var LABEL_TIPS = "data-label-tips";

  function labelTips(element) {
    var scopes = element.querySelectorAll("[" + LABEL_TIPS + "]");
    for (var i = 0; i < scopes.length; i++) {
      var labelled = scopes[i].querySelectorAll("[aria-label]:not([title])");
      for (var j = 0; j < labelled.length; j++) {
        labelled[j].setAttribute("title", labelled[j].getAttribute("aria-label"));
      }
    }
  }

  function fill(element) {
    var markup = element.getAttribute(ATTRIBUTE);
    if (markup !== null && element.__rawhtml !== markup) {
      element.innerHTML = markup;
      element.__rawhtml = markup;
      labelTips(element);
    }
  }

  function fillWithin(node) {
    if (node.nodeType !== 1) return;
    if (node.hasAttribute(ATTRIBUTE)) fill(node);
    var inner = node.querySelectorAll("[" + ATTRIBUTE + "]");
    for (var i = 0; i < inner.length; i++) fill(inner[i]);
  }

  new MutationObserver(function (mutations) {
    for (var i = 0; i < mutations.length; i++) {
      var m = mutations[i];
      if (m.type === "attributes") {
        fill(m.target);
      } else {
        for (var j = 0; j < m.addedNodes.length; j++) fillWithin(m.addedNodes[j]);
      }
    }
  }).observe(document.documentElement, {
    childList: true,
    subtree: true,
    attributes: true,
    attributeFilter: [ATTRIBUTE],
  });
  if (document.body) fillWithin(document.body);
})();
