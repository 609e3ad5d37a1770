/* Dashboards: draws the charts whose data the page hands over with json_script.
 * No inline script, so a strict Content-Security-Policy works. A chart is an element
 * with data-chart="trend|matrix" and data-source="<id of the json_script element>";
 * they are drawn on load and again after each HTMX swap (slicer, drill-down). */
(function () {
  "use strict";

  function readData(element) {
    var source = document.getElementById(element.dataset.source);
    return source ? JSON.parse(source.textContent) : null;
  }

  function trendOption(data) {
    return {
      tooltip: { trigger: "axis" },
      legend: { data: [data.labels.customers, data.labels.revenue, data.labels.churn_rate] },
      xAxis: { type: "category", data: data.months },
      yAxis: [
        { type: "value", name: data.labels.revenue },
        { type: "value", name: data.labels.customers },
        { type: "value", name: data.labels.churn_rate, offset: 60 }
      ],
      grid: { right: 140 },
      series: [
        { name: data.labels.revenue, type: "bar", data: data.revenue, yAxisIndex: 0 },
        { name: data.labels.customers, type: "line", data: data.customers, yAxisIndex: 1 },
        { name: data.labels.churn_rate, type: "line", data: data.churn_rate, yAxisIndex: 2 }
      ]
    };
  }

  function matrixOption(data) {
    var counts = data.cells.map(function (cell) { return cell.value[2]; });
    return {
      tooltip: {
        formatter: function (params) {
          var cell = params.data;
          return cell.name + "<br>" + data.labels.customers + ": " + cell.value[2] +
            "<br>" + data.labels.revenue + ": " + cell.revenue;
        }
      },
      xAxis: { type: "category", data: data.risk_bands, name: data.labels.risk },
      yAxis: { type: "category", data: data.value_bands, name: data.labels.value },
      visualMap: {
        min: 0, max: Math.max.apply(null, counts.concat([1])),
        calculable: true, orient: "horizontal", left: "center", bottom: 0
      },
      grid: { bottom: 80 },
      series: [{
        type: "heatmap",
        data: data.cells,
        label: {
          show: true,
          formatter: function (params) { return params.data.name + "\n" + params.data.value[2]; }
        }
      }]
    };
  }

  var builders = { trend: trendOption, matrix: matrixOption };

  function draw(root) {
    if (typeof echarts === "undefined") { return; }
    root.querySelectorAll("[data-chart]").forEach(function (element) {
      var data = readData(element);
      var build = builders[element.dataset.chart];
      if (!data || !build) { return; }
      var chart = echarts.getInstanceByDom(element) || echarts.init(element);
      chart.setOption(build(data), true);
      // A matrix cell links to its customers only when the role may see them.
      chart.off("click");
      chart.on("click", function (params) {
        if (params.data && params.data.url) { window.location.assign(params.data.url); }
      });
      window.addEventListener("resize", function () { chart.resize(); });
    });
  }

  document.addEventListener("DOMContentLoaded", function () { draw(document); });
  document.addEventListener("htmx:afterSettle", function (event) { draw(event.target); });
}());
