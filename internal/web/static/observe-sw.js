// vigil observer service worker: keeps the observation pages and their
// script so that a form opens with no network. Pages are fetched from the
// network first (to get the current form) and from the cache when offline;
// the queue of reports is the page script's business (localStorage), and
// the API is never cached.
// observe.js opens the same cache by name (the first page it shows).
var CACHE = "vigil-observe-v1";
var OFFLINE = "Offline, and this page was never opened online.\nНет сети, и эта страница ещё не открывалась онлайн.\nЖелі жоқ, бұл бет әлі желіде ашылмаған.\n";
var SHELL = ["/observe/", "/static/observe.js", "/static/vigil.css"];

self.addEventListener("install", function (ev) {
  ev.waitUntil(caches.open(CACHE).then(function (c) { return c.addAll(SHELL); }).then(function () { return self.skipWaiting(); }));
});

self.addEventListener("activate", function (ev) {
  ev.waitUntil(caches.keys().then(function (keys) {
    return Promise.all(keys.filter(function (k) { return k !== CACHE; }).map(function (k) { return caches.delete(k); }));
  }).then(function () { return self.clients.claim(); }));
});

self.addEventListener("fetch", function (ev) {
  var req = ev.request;
  if (req.method !== "GET") return;
  var url = new URL(req.url);
  if (url.origin !== location.origin || url.pathname.indexOf("/api/") === 0) return;
  // Form media (station lists, pictures) a form page reads, kept for
  // offline use like the pages.
  var media = url.pathname.indexOf("/openrosa/") === 0 && url.pathname.indexOf("/media/") > 0;
  if (!media && url.pathname.indexOf("/observe/") !== 0 && url.pathname.indexOf("/static/") !== 0) return;
  ev.respondWith(fetch(req).then(function (res) {
    if (res.ok) {
      var copy = res.clone();
      caches.open(CACHE).then(function (c) { c.put(req, copy); });
    }
    return res;
  }).catch(function () {
    return caches.match(req).then(function (hit) {
      // The worker cannot read the page's language: the three languages
      // of the catalogues, one a line.
      return hit || new Response(OFFLINE, { status: 503, headers: { "Content-Type": "text/plain; charset=utf-8" } });
    });
  }));
});
