/* AG Grid on use (server.load_ag_grid_on_use): its 1.3 MB bundle is not on the page; this stands in
   for the library. The first grid Dash renders loads the bundle (address in <meta name=
   "matavla-ag-grid">), shows "Laddar tabellen …" meanwhile, then draws the real grid with the
   same props. Once loaded, the bundle replaces window.dash_ag_grid, so later grids are the real one. */
(function () {
  var meta = document.querySelector('meta[name="matavla-ag-grid"]');
  if (!meta || window.dash_ag_grid) return;
  var url = meta.getAttribute("content");
  var loading = null;

  function load() {
    if (!loading) {
      loading = new Promise(function (resolve, reject) {
        var script = document.createElement("script");
        script.src = url;
        script.onload = function () {
          resolve(window.dash_ag_grid);
        };
        script.onerror = function () {
          loading = null; // let the next grid try again
          reject(new Error("AG Grid kunde inte laddas"));
        };
        document.head.appendChild(script);
      });
    }
    return loading;
  }

  function stand_in(type) {
    return function LazyGrid(props) {
      var React = window.React;
      var state = React.useState(null);
      var real = state[0];
      var setReal = state[1];
      var failed = React.useState(false);
      React.useEffect(function () {
        var live = true;
        load().then(
          function (library) {
            if (live) setReal(function () { return library[type]; });
          },
          function () {
            if (live) failed[1](true);
          }
        );
        return function () { live = false; };
      }, []);
      if (real) return React.createElement(real, props);
      return React.createElement(
        "div",
        { id: props.id, className: "grid-loading", role: "status", style: props.style },
        failed[0] ? "Tabellen kunde inte laddas. Ladda om sidan." : "Laddar tabellen …"
      );
    };
  }

  window.dash_ag_grid = { AgGrid: stand_in("AgGrid") };
})();
