// Draws the charts of the reform plan screens with Chart.js (installed from npm).
// Each <canvas data-chart="ID"> reads its data from <script id="ID"
// type="application/json"> (json_script); the same figures are in the table
// beside every chart, so nothing is lost without JavaScript.
(function () {
  "use strict";
  // Colours come from the Digital Agency design tokens (CSS custom properties).
  function token(name, fallback) {
    var value = getComputedStyle(document.documentElement).getPropertyValue(name).trim();
    return value || fallback;
  }
  var STATUS_COLOURS = {
    on_plan: token("--color-primitive-blue-900", "#0031d8"),
    changed: token("--color-primitive-orange-800", "#e25100"),
    done: token("--color-primitive-green-900", "#197a4b"),
    not_started: token("--color-primitive-purple-900", "#7f19dd"),
    stopped: token("--color-neutral-solid-gray-800", "#333333"),
    not_reported: token("--color-neutral-solid-gray-200", "#cccccc"),
  };
  var LINE_COLOURS = [
    STATUS_COLOURS.on_plan, STATUS_COLOURS.changed, STATUS_COLOURS.done,
    STATUS_COLOURS.not_started, token("--color-primitive-red-900", "#c71e1e"),
  ];

  function draw(canvas) {
    var source = document.getElementById(canvas.dataset.chart);
    if (!source || typeof window.Chart === "undefined") return;
    var spec = JSON.parse(source.textContent);
    var config;
    if (spec.type === "status") {
      config = {
        type: "bar",
        data: {
          labels: spec.labels,
          datasets: spec.datasets.map(function (d) {
            return { label: d.label, data: d.data, backgroundColor: STATUS_COLOURS[d.key] || "#999" };
          }),
        },
        options: {
          indexAxis: "y",
          responsive: true,
          maintainAspectRatio: false,
          animation: false,
          scales: { x: { stacked: true, beginAtZero: true }, y: { stacked: true } },
          plugins: { legend: { position: "bottom" } },
        },
      };
      canvas.parentElement.style.height = Math.max(160, spec.labels.length * 34 + 80) + "px";
    } else if (spec.type === "bars") {
      config = {
        type: "bar",
        data: {
          labels: spec.labels,
          datasets: spec.datasets.map(function (d, i) {
            return { label: d.label, data: d.data, backgroundColor: LINE_COLOURS[i % LINE_COLOURS.length] };
          }),
        },
        options: {
          indexAxis: "y",
          responsive: true,
          maintainAspectRatio: false,
          animation: false,
          scales: { x: { beginAtZero: true } },
          plugins: { legend: { display: spec.datasets.length > 1 } },
        },
      };
      canvas.parentElement.style.height = Math.max(160, spec.labels.length * 40 + 60) + "px";
    } else {
      config = {
        type: "line",
        data: {
          labels: spec.labels,
          datasets: spec.datasets.map(function (d, i) {
            var colour = LINE_COLOURS[i % LINE_COLOURS.length];
            return { label: d.label, data: d.data, borderColor: colour, backgroundColor: colour, spanGaps: true };
          }),
        },
        options: {
          responsive: true,
          maintainAspectRatio: false,
          animation: false,
          scales: { y: { beginAtZero: spec.unit === "%", title: { display: !!spec.unit, text: spec.unit } } },
          plugins: { legend: { position: "bottom" } },
        },
      };
      canvas.parentElement.style.height = "260px";
    }
    new window.Chart(canvas, config);
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("canvas[data-chart]").forEach(draw);
  });
})();
