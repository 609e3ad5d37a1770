// Customer 360: the monthly usage chart (data from the page's json_script element).
(function () {
  "use strict";
  function draw() {
    var holder = document.getElementById("usage-chart");
    var source = document.getElementById("usage-data");
    if (!holder || !source || typeof echarts === "undefined") { return; }
    var data = JSON.parse(source.textContent);
    var names = data.names;
    var chart = echarts.init(holder);
    chart.setOption({
      tooltip: { trigger: "axis" },
      legend: {},
      xAxis: { type: "category", data: data.months },
      yAxis: [
        { type: "value", name: names.minutes },
        { type: "value", name: names.megabytes, position: "right" }
      ],
      series: [
        { name: names.voice_out_minutes, type: "bar", stack: "voice", data: data.voice_out_minutes },
        { name: names.voice_in_minutes, type: "bar", stack: "voice", data: data.voice_in_minutes },
        { name: names.sms_out, type: "line", data: data.sms_out },
        { name: names.data_mb, type: "line", yAxisIndex: 1, data: data.data_mb }
      ]
    });
    window.addEventListener("resize", function () { chart.resize(); });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
