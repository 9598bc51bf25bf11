// Grassroots: progressive enhancement only. Every page works without it.
"use strict";
(function () {
  // Category search: hide options that do not match; pick a lone match.
  document.querySelectorAll("input[data-filter]").forEach(function (input) {
    var select = document.getElementById(input.getAttribute("data-filter"));
    if (!select) return;
    input.addEventListener("input", function () {
      var q = input.value.trim().toLowerCase(), hits = [];
      select.querySelectorAll("option").forEach(function (o) {
        if (!o.value) return;
        var show = !q || o.textContent.toLowerCase().indexOf(q) >= 0 ||
          o.parentNode.label.toLowerCase().indexOf(q) >= 0;
        o.hidden = !show;
        if (show) hits.push(o);
      });
      if (q && hits.length === 1) select.value = hits[0].value;
    });
  });

  // "Use my location" on a phone: the device's position into lon/lat.
  document.querySelectorAll("button[data-locate-me]").forEach(function (b) {
    if (!navigator.geolocation) return;
    b.hidden = false;
    b.addEventListener("click", function () {
      navigator.geolocation.getCurrentPosition(function (pos) {
        var lon = document.getElementById("lon"), lat = document.getElementById("lat");
        if (lon && lat) { lon.value = pos.coords.longitude.toFixed(6); lat.value = pos.coords.latitude.toFixed(6); }
      });
    });
  });

  // Select-all checkboxes for bulk actions.
  document.querySelectorAll("input[data-select-all]").forEach(function (box) {
    var name = box.getAttribute("data-select-all");
    box.addEventListener("change", function () {
      box.form.querySelectorAll('input[type=checkbox][name="' + name + '"]').forEach(function (c) {
        c.checked = box.checked;
      });
    });
  });

  // Maps: zoom buttons, wheel and drag to pan; a click on a picking map
  // fills in longitude and latitude (the inverse of the server's frame).
  document.querySelectorAll(".map svg").forEach(function (svg) {
    var base = svg.getAttribute("viewBox").split(" ").map(Number);
    var vb = base.slice();
    function set() { svg.setAttribute("viewBox", vb.join(" ")); }
    function zoom(f, cx, cy) {
      if (cx === undefined) { cx = vb[0] + vb[2] / 2; cy = vb[1] + vb[3] / 2; }
      var w = Math.min(base[2] * 1.5, Math.max(base[2] / 64, vb[2] * f));
      var h = w * base[3] / base[2];
      vb = [cx - (cx - vb[0]) * w / vb[2], cy - (cy - vb[1]) * h / vb[3], w, h];
      set();
    }
    function point(evt) {
      var p = svg.createSVGPoint(); p.x = evt.clientX; p.y = evt.clientY;
      return p.matrixTransform(svg.getScreenCTM().inverse());
    }
    var tools = svg.parentNode.querySelector(".map-tools");
    if (tools) tools.addEventListener("click", function (e) {
      var z = e.target.getAttribute("data-zoom");
      if (z === "in") zoom(0.6); else if (z === "out") zoom(1 / 0.6);
      else if (z === "reset") { vb = base.slice(); set(); }
    });
    svg.addEventListener("wheel", function (e) {
      e.preventDefault(); var p = point(e); zoom(e.deltaY < 0 ? 0.8 : 1.25, p.x, p.y);
    }, { passive: false });
    var drag = null, moved = false;
    svg.addEventListener("pointerdown", function (e) { drag = point(e); moved = false; });
    svg.addEventListener("pointermove", function (e) {
      if (!drag) return;
      var p = point(e), dx = p.x - drag.x, dy = p.y - drag.y;
      if (Math.abs(dx) + Math.abs(dy) > vb[2] / 200) { moved = true; vb[0] -= dx; vb[1] -= dy; set(); }
    });
    svg.addEventListener("pointerup", function () { drag = null; });
    if (!svg.closest(".map.pick")) return;
    svg.addEventListener("click", function (e) {
      if (moved) { e.preventDefault(); return; }
      var p = point(e), d = svg.dataset;
      var lon = p.x / (Number(d.k) * Number(d.s)) + Number(d.minLon);
      var lat = Number(d.maxLat) - p.y / Number(d.s);
      var lonIn = document.getElementById("lon"), latIn = document.getElementById("lat");
      if (lonIn && latIn) { lonIn.value = lon.toFixed(6); latIn.value = lat.toFixed(6); }
      var pin = svg.querySelector(".pick-pin");
      if (pin) { pin.setAttribute("cx", p.x); pin.setAttribute("cy", p.y); }
    });
  });
})();
