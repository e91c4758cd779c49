/* Fill elements carrying server-built markup (views/rawhtml.py): <div data-rawhtml="…">.
   The server escapes every text in the markup; here it is only put in place, when the element
   is added to the page and whenever a callback changes the attribute. */
(function () {
  var ATTRIBUTE = "data-rawhtml";

  function fill(element) {
    var markup = element.getAttribute(ATTRIBUTE);
    if (markup !== null && element.__rawhtml !== markup) {
      element.innerHTML = markup;
      element.__rawhtml = markup;
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
