/* Draws the dashboard's charts from the JSON the server embedded (the same tables the CSV exports),
   and loads the grouped unanswered questions after the page is shown. Needs Chart.js (vendor/). */
(function () {
  "use strict";

  var BLUE = "#2563eb", TEAL = "#0d9488", AMBER = "#f59e0b", GREEN = "#16a34a", RED = "#dc2626",
    GREY = "#9ca3af", PURPLE = "#7c3aed", PINK = "#db2777", SKY = "#0ea5e9", LIME = "#65a30d";
  var PALETTE = [BLUE, AMBER, TEAL, PURPLE, PINK, SKY, LIME, RED, GREEN, GREY];
  // Colours with a meaning: green is good, red is bad, amber is "outside office hours".
  var BY_COLUMN = {
    daily: { conversations: BLUE, messages: TEAL },
    hourly: { office_hours: BLUE, outside: AMBER },
    first_response: { office_hours: BLUE, outside: AMBER },
    satisfaction: { positive: GREEN, neutral: GREY, negative: RED },
    handoff_reasons: { tickets: BLUE },
    languages: { conversations: PURPLE },
    top_faq: { answers: GREEN },
    tokens: { tokens: PURPLE },
    translated_characters: { content: SKY, conversations: PINK },
  };
  var BY_LABEL = { resolution: [GREEN, BLUE, RED, GREY] };

  function draw(canvas, spec) {
    var doughnut = spec.type === "doughnut";
    var datasets = spec.datasets.map(function (ds, i) {
      var colour = (BY_COLUMN[spec.key] || {})[ds.column] || PALETTE[i % PALETTE.length];
      var out = { label: ds.label, data: ds.data };
      if (doughnut) {
        out.backgroundColor = BY_LABEL[spec.key] || PALETTE;
        out.borderColor = "#fff";
        out.borderWidth = 2;
      } else if (spec.type === "line") {
        out.borderColor = colour;
        out.backgroundColor = colour + "22";
        out.fill = i === 0;
        out.tension = 0;
        out.pointRadius = spec.labels.length > 60 ? 0 : 3;
        out.borderWidth = 2;
      } else {
        out.backgroundColor = colour;
        out.borderRadius = 4;
        out.maxBarThickness = 36;
      }
      return out;
    });
    var options = {
      responsive: true,
      maintainAspectRatio: false,
      plugins: {
        legend: { display: doughnut || datasets.length > 1, position: "bottom", labels: { boxWidth: 14 } },
        tooltip: { mode: doughnut ? "nearest" : "index", intersect: false },
      },
    };
    if (!doughnut) {
      var valueAxis = { beginAtZero: true, stacked: spec.stacked, ticks: { precision: 0 }, grid: { color: "#eef0f4" } };
      // A few categories under vertical bars: long labels wrap onto two lines instead of tilting into
      // each other ("1日超" and "職員の返信なし" overlapped).
      var wrap = !spec.horizontal && spec.labels.length <= 12;
      var labelAxis = {
        stacked: spec.stacked,
        grid: { display: false },
        ticks: {
          autoSkip: spec.labels.length > 12,
          maxRotation: spec.labels.length > 12 || wrap ? 0 : 45,
          callback: wrap ? wrappedLabel : shortLabel,
        },
      };
      options.indexAxis = spec.horizontal ? "y" : "x";
      options.scales = spec.horizontal ? { x: valueAxis, y: labelAxis } : { x: labelAxis, y: valueAxis };
    } else {
      options.cutout = "55%";
    }
    return new Chart(canvas, { type: doughnut ? "doughnut" : spec.type, data: { labels: spec.labels, datasets: datasets }, options: options });
  }

  function shortLabel(value) {
    var label = this.getLabelForValue(value);
    if (/^\d{4}-\d{2}-\d{2}$/.test(label)) return label.slice(5).replace("-", "/");
    return label.length > 22 ? label.slice(0, 21) + "…" : label;
  }

  function wrappedLabel(value) {
    var label = shortLabel.call(this, value);
    if (label.length <= 6) return label;
    var middle = Math.ceil(label.length / 2);
    var space = label.lastIndexOf(" ", middle);
    if (space < 0) space = label.indexOf(" ", middle);
    if (space > 0) return [label.slice(0, space), label.slice(space + 1)];
    if (!/[\u3000-\u9fff\uff00-\uffef]/.test(label)) return label;
    // Japanese: break after the particle or mark nearest the middle (職員の / 返信なし), else in the middle.
    var best = -1;
    for (var i = 1; i < label.length - 1; i++) {
      if ("の・〜、）".indexOf(label[i]) >= 0 && (best < 0 || Math.abs(i + 1 - middle) < Math.abs(best - middle))) best = i + 1;
    }
    var at = best > 0 ? best : middle;
    return [label.slice(0, at), label.slice(at)];
  }

  function init() {
    var source = document.getElementById("dashboard-charts");
    if (!source || typeof Chart === "undefined") return;
    var specs = JSON.parse(source.textContent);
    Chart.defaults.font.family = getComputedStyle(document.documentElement).fontFamily;
    Chart.defaults.color = "#374151";
    if (window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches) {
      Chart.defaults.animation = false;
    }
    var drawn = 0;
    document.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
      var spec = specs[canvas.dataset.chart];
      if (spec) {
        draw(canvas, spec);
        drawn += 1;
      }
    });
    window.dashboardChartsDrawn = drawn;
  }

  function loadFragments() {
    document.querySelectorAll("[data-fragment]").forEach(function (box) {
      fetch(box.dataset.fragment, { credentials: "same-origin", headers: { "X-Requested-With": "fetch" } })
        .then(function (r) {
          if (!r.ok) throw new Error(r.status);
          return r.text();
        })
        .then(function (html) {
          box.innerHTML = html;
          box.dataset.loaded = "1";
        })
        .catch(function () {
          box.textContent = box.dataset.failed || "Could not load.";
          box.dataset.loaded = "error";
        });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    init();
    loadFragments();
  });
})();
