/* Plain links marked data-spa navigate inside the app like dcc.Link (no page reload).
   The board uses them for its hundreds of cells, which are cheaper as <a> than as dcc.Link. */
document.addEventListener("click", function (event) {
  var link = event.target.closest ? event.target.closest("a[data-spa]") : null;
  if (!link || event.defaultPrevented || event.button !== 0) return;
  if (event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
  if (link.origin !== window.location.origin) return;
  event.preventDefault();
  window.history.pushState({}, "", link.pathname + link.search + link.hash);
  window.dispatchEvent(new CustomEvent("_dashprivate_pushstate"));
  window.scrollTo(0, 0);
});
