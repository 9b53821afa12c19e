// The plan map: zones and parcels in the plan's projected metres, drawn with Leaflet on a plain
// (non-geographic) coordinate system, so no outside tiles are needed.
(function () {
  'use strict';

  const zoneClass = (code) => {
    if (!code) return 'g';
    const c = code.toUpperCase();
    if (c.startsWith('R11')) return 'r1';
    if (c.startsWith('R12')) return 'r2';
    if (c.startsWith('R')) return 'r3';
    if (c.startsWith('S')) return 's';
    if (c.startsWith('M')) return 'm';
    return 'g';
  };
  const colours = { r1: '#f6e27a', r2: '#f2b35e', r3: '#e07b39', s: '#d9534f', m: '#b36bc9', g: '#5cb85c' };

  function bounds(collection) {
    let minX = Infinity, minY = Infinity, maxX = -Infinity, maxY = -Infinity;
    const visit = (c) => {
      if (typeof c[0] === 'number') {
        minX = Math.min(minX, c[0]); maxX = Math.max(maxX, c[0]);
        minY = Math.min(minY, c[1]); maxY = Math.max(maxY, c[1]);
      } else c.forEach(visit);
    };
    collection.features.forEach((f) => visit(f.geometry.coordinates));
    return { minX, minY, maxX, maxY };
  }

  async function start() {
    const el = document.getElementById('map');
    if (!el || !window.L) return;
    const zones = await (await fetch(el.dataset.zones)).json();
    if (!zones.features.length) {
      el.textContent = el.dataset.empty;
      return;
    }
    const b = bounds(zones);
    // Shift to the city's south-west corner so Leaflet works with small numbers.
    const toLatLng = (c) => L.latLng(c[1] - b.minY, c[0] - b.minX);
    const map = L.map(el, { crs: L.CRS.Simple, minZoom: -6, maxZoom: 4, zoomSnap: 0.25, attributionControl: false });
    map.fitBounds([[0, 0], [b.maxY - b.minY, b.maxX - b.minX]]);
    L.geoJSON(zones, {
      coordsToLatLng: toLatLng,
      interactive: false,
      style: (f) => ({ color: '#555', weight: 1, fillColor: colours[zoneClass(f.properties.zone)], fillOpacity: 0.45 }),
    }).addTo(map);

    const parcels = L.geoJSON(null, {
      coordsToLatLng: toLatLng,
      style: () => ({ color: '#1d2733', weight: 0.6, fillOpacity: 0.05 }),
      onEachFeature: (f, layer) => {
        layer.bindTooltip(f.properties.parcel_key, { direction: 'top' });
        layer.on('click', () => { window.location.href = '/parcels/' + encodeURIComponent(f.properties.parcel_key); });
      },
    }).addTo(map);

    let pending = null;
    async function loadParcels() {
      if (map.getZoom() < -1.5) { parcels.clearLayers(); return; }
      const v = map.getBounds();
      const box = [v.getWest() + b.minX, v.getSouth() + b.minY, v.getEast() + b.minX, v.getNorth() + b.minY]
        .map((n) => n.toFixed(1)).join(',');
      const request = fetch(el.dataset.parcels + '?bbox=' + box).then((r) => r.json());
      pending = request;
      const data = await request;
      if (pending !== request) return;
      parcels.clearLayers();
      parcels.addData(data);
    }
    map.on('moveend', loadParcels);
    loadParcels();
  }

  document.addEventListener('DOMContentLoaded', start);
})();
