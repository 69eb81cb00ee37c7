// Enhancements only: every page works without this file.
// Live updates: the server sends "refresh" on /live when anything changed;
// the page is fetched again and its live region swapped, leaving forms alone.
(function () {
  "use strict";
  var url = document.body.getAttribute("data-live-url");
  var csrf = document.querySelector('meta[name="csrf"]');
  if (url && window.EventSource) {
    var busy = false, again = false;
    var refresh = function () {
      if (busy) { again = true; return; }
      busy = true;
      fetch(window.location.href, { credentials: "same-origin", headers: { "X-Live": "1" } })
        .then(function (r) { return r.ok ? r.text() : null; })
        .then(function (html) {
          if (!html) { return; }
          var next = new DOMParser().parseFromString(html, "text/html");
          ["live", "nav-notifications"].forEach(function (id) {
            var here = document.getElementById(id), there = next.getElementById(id);
            if (here && there && here.innerHTML !== there.innerHTML &&
                !here.contains(document.activeElement)) {
              here.innerHTML = there.innerHTML;
            }
          });
        })
        .catch(function () {})
        .then(function () { busy = false; if (again) { again = false; refresh(); } });
    };
    var source = new EventSource(url);
    source.addEventListener("refresh", refresh);
  }
  // Typing: a signal at most every three seconds while someone types.
  var last = 0;
  document.querySelectorAll("textarea[data-typing]").forEach(function (box) {
    box.addEventListener("input", function () {
      var now = Date.now();
      if (!csrf || now - last < 3000) { return; }
      last = now;
      var body = new URLSearchParams();
      body.set("csrf", csrf.getAttribute("content"));
      body.set("conversation", box.getAttribute("data-typing"));
      fetch("/typing", { method: "POST", credentials: "same-origin", body: body }).catch(function () {});
    });
  });
}());
