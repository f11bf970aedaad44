// Starts GraphiQL on /graphql. A static file, not an inline script, so the page's
// Content-Security-Policy can say script-src 'self' and nothing more.
(function () {
  "use strict";

  // Radix's scroll lock (dialogs) adds a <style> element; it reads this global for the nonce the
  // page's style-src allows. The nonce comes with this script's own tag, fresh on every page.
  var script = document.currentScript;
  if (script && script.nonce) {
    window.__webpack_nonce__ = script.nonce;
  }

  var WELCOME = [
    "# mypd_graph: GraphiQL",
    "#",
    "# Every operation needs a bearer token. Mint one with",
    "#   mypd-graph token --email elena.ramirez@demo.mypd.test",
    "# and put it in the Headers pane below:",
    '#   {"Authorization": "Bearer <token>"}',
    "# The documentation and autocompletion follow once the token is there.",
    "#",
    "# Run with Ctrl-Enter (or the play button).",
    "",
    "{",
    "  viewer {",
    "    name",
    "    role",
    "  }",
    "}",
    "",
  ].join("\n");

  // The same origin and path that served this page; no subscription URL: the schema has none.
  function newFetcher() {
    return GraphiQL.createFetcher({ url: window.location.pathname });
  }

  function authorizationOf(headersText) {
    try {
      var headers = JSON.parse(headersText || "{}");
      return headers && typeof headers === "object" ? String(headers.Authorization || "") : "";
    } catch (error) {
      return null; // still being typed
    }
  }

  // Without a token the schema is refused (401), so GraphiQL has no docs or autocompletion.
  // Once a new Authorization header has rested in the Headers pane for a moment, a new fetcher
  // makes GraphiQL introspect again with it; no click on "re-fetch schema" needed.
  function App() {
    var fetcherState = React.useState(newFetcher);
    var timer = React.useRef(null);
    var lastAuthorization = React.useRef("");

    function onEditHeaders(text) {
      window.clearTimeout(timer.current);
      timer.current = window.setTimeout(function () {
        var authorization = authorizationOf(text);
        if (authorization !== null && authorization !== lastAuthorization.current) {
          lastAuthorization.current = authorization;
          fetcherState[1](newFetcher);
        }
      }, 400);
    }

    return React.createElement(GraphiQL, {
      fetcher: fetcherState[0],
      defaultQuery: WELCOME,
      defaultEditorToolsVisibility: true,
      isHeadersEditorEnabled: true,
      onEditHeaders: onEditHeaders,
      // A token is a password for its lifetime: not written to localStorage.
      shouldPersistHeaders: false,
      inputValueDeprecation: true,
      plugins: [GraphiQLPluginExplorer.explorerPlugin()],
    });
  }

  ReactDOM.createRoot(document.getElementById("graphiql")).render(React.createElement(App));
})();
