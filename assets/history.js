/* Back and Forward between filter states of one page.

   A filter change writes its view to the address with history.pushState (see URL_SYNC_JS
   in metrics/dashboard/server.py) without re-rendering the page. Dash's router only knows
   the addresses it navigated to itself, so when Back leads to such a written address it may
   not notice. Here the page's controls are set from the address instead, which redraws
   the view exactly as the address describes it. */
(function () {
  var PAGES = [
    // [path pattern, control for the path's code, {query key: control id}]
    [/\/kommun\/([^/]+)$/, "kommun-kommun", {period: "kommun-period", indikator: "kommun-indikator"}],
    [/\/indikator\/([^/]+)$/, "indikator-id", {lan: "indikator-lan", period: "indikator-period", markera: "indikator-markera"}],
    [/\/jamfor$/, null, {lan: "jamfor-lan", indikator: "jamfor-indikator", period: "jamfor-period", markera: "jamfor-markera"}],
    [/\/$/, null, {lan: "oversikt-lan", period: "oversikt-period"}],
  ];

  function setValue(id, value) {
    if (document.getElementById(id)) {
      window.dash_clientside.set_props(id, {value: value});
    }
  }

  window.addEventListener("popstate", function () {
    if (!window.dash_clientside || !window.dash_clientside.set_props) return;
    var path = window.location.pathname;
    var params = new URLSearchParams(window.location.search);
    for (var i = 0; i < PAGES.length; i++) {
      var match = path.match(PAGES[i][0]);
      if (!match) continue;
      if (PAGES[i][1] && match[1] && match[1] !== "none") setValue(PAGES[i][1], decodeURIComponent(match[1]));
      var controls = PAGES[i][2];
      Object.keys(controls).forEach(function (key) {
        if (key === "markera") {
          var codes = params.get("markera");
          setValue(controls[key], codes ? codes.split(",") : []);
        } else if (params.get(key)) {
          setValue(controls[key], params.get(key));
        }
      });
      return;
    }
  });
})();
