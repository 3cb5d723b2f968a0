// The choropleth: the server computes each area's colour; this only draws
// the GeoJSON with Leaflet (no tiles) and links each area to its page.
(function () {
  "use strict";
  var el = document.getElementById("map");
  if (!el || !window.L || !window.fetch) return;
  fetch(el.getAttribute("data-src"), { headers: { Accept: "application/geo+json" } })
    .then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); })
    .then(function (g) {
      var map = L.map(el, { zoomSnap: 0.25, attributionControl: false, preferCanvas: false });
      var canvas = L.canvas({ padding: 0.5 });
      var layer = L.geoJSON(g, {
        style: function (f) { return { fillColor: f.properties.fill, fillOpacity: 0.9, color: "#333", weight: f.properties.station ? 0.5 : 0.8 }; },
        // Stations (vigil geo import --stations) are small circles over
        // the areas, drawn on a canvas: a country has tens of thousands.
        pointToLayer: function (f, ll) { return L.circleMarker(ll, { radius: 3, renderer: canvas }); },
        onEachFeature: function (f, l) {
          // Text, never HTML: area names come from imported files.
          var tip = document.createElement("span");
          tip.textContent = f.properties.path + ": " + f.properties.label;
          l.bindTooltip(tip);
          l.on("click", function () { window.location.href = f.properties.url; });
        }
      }).addTo(map);
      // Fit the whole country, with a margin, and again whenever the box
      // changes size (a phone turned, the page laid out anew) until the
      // reader moves the map: Leaflet keeps the centre on a resize, which
      // cut the sides of the country off on a narrow screen. Without
      // animation: an animated refit that a later resize interrupts (a
      // scrollbar appearing as the page fills) left the wider fit in place.
      var bounds = layer.getBounds(), moved = false;
      var fit = function () { map.invalidateSize(false); if (!moved) map.fitBounds(bounds, { padding: [6, 6], animate: false }); };
      ["pointerdown", "wheel", "keydown"].forEach(function (t) { el.addEventListener(t, function () { moved = true; }); });
      fit();
      if (window.ResizeObserver) new ResizeObserver(fit).observe(el);
      el.setAttribute("data-features", String(g.features.length));
      el.setAttribute("data-ready", "1");
    })
    .catch(function (e) { el.setAttribute("data-error", String(e)); });
})();
