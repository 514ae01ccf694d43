// Charts with the vendored ECharts (vendor/echarts/echarts.min.js, loaded by each page as a
// classic script: it defines the global `echarts`).

import { label } from "./vocabulary.js";
import { decimal, monthLabel, plot } from "./format.js";

const FONT = '"PingFang SC", "Microsoft YaHei", "Noto Sans CJK SC", "WenQuanYi Micro Hei", sans-serif';
const COLORS = ["#c23531", "#2f4554", "#61a0a8", "#d48265", "#91c7ae", "#749f83", "#ca8622"];
const MEASURES = {
  person_times: { name: "服务人次", places: 0 },
  recipients: { name: "服务对象(人)", places: 0 },
  hours: { name: "服务时长(小时)", places: 2 },
};

const charts = new Set();
window.addEventListener("resize", () => charts.forEach((chart) => chart.resize()));

function draw(element, option) {
  window.echarts.getInstanceByDom(element)?.dispose();
  const chart = window.echarts.init(element, null, { locale: "ZH", renderer: "canvas" });
  chart.setOption({ color: COLORS, textStyle: { fontFamily: FONT }, animation: false, ...option });
  charts.add(chart);
  return chart;
}

function tooltip() {
  return {
    trigger: "axis", axisPointer: { type: "shadow" },
    valueFormatter: (value) => (value == null ? "-" : decimal(String(value), Number.isInteger(value) ? 0 : 2)),
  };
}

// One dimension of the figures ({code: {person_times, recipients, hours}}) as bars, labelled
// from the vocabulary group; horizontal when the labels are long.
export function dimensionChart(element, figures, group, { measures = ["person_times", "recipients"], horizontal = true } = {}) {
  const keys = Object.keys(figures);
  const names = keys.map((k) => label(group, k));
  const categoryAxis = { type: "category", data: names, axisLabel: { interval: 0, width: 150, overflow: "truncate" } };
  const valueAxis = { type: "value", minInterval: 1 };
  if (horizontal) categoryAxis.inverse = true;
  return draw(element, {
    tooltip: tooltip(),
    legend: { top: 0 },
    grid: { left: horizontal ? 170 : 50, right: 30, top: 36, bottom: horizontal ? 20 : 60 },
    xAxis: horizontal ? valueAxis : { ...categoryAxis, axisLabel: { interval: 0, rotate: 30 } },
    yAxis: horizontal ? categoryAxis : valueAxis,
    series: measures.map((m) => ({
      name: MEASURES[m].name, type: "bar", barMaxWidth: 18,
      data: keys.map((k) => plot(figures[k][m])),
    })),
  });
}

// The half year month by month: person-times and recipients as bars, hours as a line.
export function monthChart(element, byMonth) {
  const months = Object.keys(byMonth).sort();
  return draw(element, {
    tooltip: tooltip(),
    legend: { top: 0 },
    grid: { left: 50, right: 60, top: 36, bottom: 30 },
    xAxis: { type: "category", data: months.map(monthLabel) },
    yAxis: [{ type: "value", name: "人次 / 人", minInterval: 1 }, { type: "value", name: "小时", splitLine: { show: false } }],
    series: [
      { name: MEASURES.person_times.name, type: "bar", barMaxWidth: 28, data: months.map((m) => byMonth[m].person_times) },
      { name: MEASURES.recipients.name, type: "bar", barMaxWidth: 28, data: months.map((m) => byMonth[m].recipients) },
      { name: MEASURES.hours.name, type: "line", yAxisIndex: 1, data: months.map((m) => plot(byMonth[m].hours)) },
    ],
  });
}

// Districts side by side: person-times and recipients as bars, funds spent (yuan) as a line.
export function districtsChart(element, districts) {
  const names = districts.map((d) => d.name || d.district);
  return draw(element, {
    tooltip: tooltip(),
    legend: { top: 0 },
    grid: { left: 60, right: 90, top: 40, bottom: 40 },
    xAxis: { type: "category", data: names, axisLabel: { interval: 0 } },
    yAxis: [{ type: "value", name: "人次 / 人", minInterval: 1 }, { type: "value", name: "元", splitLine: { show: false } }],
    series: [
      { name: MEASURES.person_times.name, type: "bar", barMaxWidth: 28, data: districts.map((d) => d.figures.person_times) },
      { name: MEASURES.recipients.name, type: "bar", barMaxWidth: 28, data: districts.map((d) => d.figures.recipients) },
      { name: "资金支出(元)", type: "line", yAxisIndex: 1, data: districts.map((d) => plot(d.figures.funds_spent)) },
    ],
  });
}
