// The city page: every district side by side, how complete and timely the reporting is, the
// city's total, and the city's own report to the province.

import { get, post } from "./api.js";
import { dimensionChart, districtsChart } from "./charts.js";
import { count, date, money, periodLabel } from "./format.js";
import { card, downloadButtons, figureCards, statusBadge, timelinessBadge, timelinessText } from "./report.js";
import {
  act, askReason, h, header, openingPeriod, periodSelect, replace, requireCaller, setParams, showError, showSuccess,
} from "./ui.js";
import { loadVocabulary } from "./vocabulary.js";
import { planText, trainingCoverage } from "./sections.js";

const caller = requireCaller(["city", "auditor", "admin"]);
const state = { period: null };
const cityPath = () => `/v1/city/reports/${state.period}`;

// A step of the chain from a button; `reload` gets the step's answer to read its own write.
function button(text, kind, action, done, reload) {
  const element = h("button", { class: `btn small ${kind}` }, text);
  element.addEventListener("click", () => act(element, action, async (answer) => {
    if (!answer) return;
    showSuccess(done);
    await reload(answer);
  }));
  return element;
}

function districtActions(district) {
  const link = h("a", { class: "btn small", href: `district.html?district=${district.district}&period=${state.period}` }, "查看");
  if (caller.role !== "city" || district.status !== "submitted") return [link];
  const path = `${cityPath()}/districts/${district.district}`;
  const reload = (answer) => load({ min_position: `${district.district}:${answer.position}` });
  return [
    link,
    button("审核通过", "approve", () => post(`${path}/approve`), `${district.name}报表已审核通过`, reload),
    button("退回", "return", async () => {
      const reason = await askReason(`${district.name}的报表`);
      return reason ? post(`${path}/return`, { reason }) : null;
    }, `${district.name}报表已退回`, reload),
  ];
}

// The city's own report is projected from the city's store, which min_position cannot name:
// read again a few times until the step shows.
async function untilStatus(status) {
  for (let attempt = 0; attempt < 10; attempt += 1) {
    const report = await get(cityPath());
    if (report.status === status) return report;
    await new Promise((resolve) => setTimeout(resolve, 300));
  }
  return get(cityPath());
}

function statusPanel(report, blocking) {
  const actions = [];
  if (caller.role === "city" && ["draft", "returned"].includes(report.status)) {
    const submit = blocking.length
      ? async () => {
        const reason = await askReason("市报表（部分区未审核）", "报送", "请说明未待其审核即报送的原因（必填）");
        return reason ? post(`${cityPath()}/submit`, { incomplete_reason: reason }) : null;
      }
      : () => post(`${cityPath()}/submit`);
    actions.push(button(blocking.length ? "说明原因后报送" : "向省报送市报表", "primary", submit, "市报表已报送",
      async () => { await untilStatus("submitted"); await load(); }));
  }
  return [
    h("h2", {}, `厦门市报表 · ${periodLabel(report.period)}`),
    h("div", { class: "status-line" },
      h("div", { class: "item" }, h("span", { class: "label" }, "市报表状态"), statusBadge(report.status)),
      h("div", { class: "item" }, h("span", { class: "label" }, "区报表"),
        `已报送 ${report.completeness.submitted} / ${report.completeness.expected}，已审核 ${report.completeness.approved}`),
      h("div", { class: "actions" }, actions)),
  ];
}

// What the city's submission would freeze now (报送口径), and the districts that stop it.
function submissionPanel(preview) {
  const f = preview.figures;
  return [
    h("div", { class: "cards" }, [
      card("服务人次", count(f.person_times), "人次"), card("服务对象", count(f.recipients), "人"),
      card("服务时长", money(f.service_hours), "小时"), card("资金支出", money(f.funds_spent), "元"),
    ]),
    preview.blocking.length
      ? h("div", { class: "blocking" }, h("p", { class: "bad" }, "以下区有服务站但报表尚未审核通过，市报表暂不能报送（或说明原因后报送）："),
        h("ul", {}, preview.blocking.map((d) => h("li", {}, `${d.name || d.district}（${d.district}）`, statusBadge(d.status)))))
      : h("p", { class: "ok" }, "有服务站的区报表均已审核通过，可以报送。"),
  ];
}

function townTotals(districts) {
  const sum = (key) => districts.reduce((total, d) => total + (d.completeness?.[key] || 0), 0);
  return { expected: sum("expected"), submitted: sum("submitted"), approved: sum("approved"), late: sum("late") };
}

function percent(part, whole) {
  return whole ? `${Math.round((100 * part) / whole)}%` : "-";
}

function completenessCards(report) {
  const c = report.completeness;
  const towns = townTotals(report.districts);
  const onTime = report.districts.filter((d) => d.timeliness?.state === "on_time").length;
  return [
    card("区报表已报送", `${c.submitted} / ${c.expected}`, percent(c.submitted, c.expected)),
    card("区报表已审核", `${c.approved} / ${c.expected}`, percent(c.approved, c.expected)),
    card("区报表按时报送", `${onTime} / ${c.expected}`, c.late ? `逾期 ${c.late}` : "无逾期"),
    card("镇(街道)报表已报送", `${towns.submitted} / ${towns.expected}`, percent(towns.submitted, towns.expected)),
    card("镇(街道)报表已审核", `${towns.approved} / ${towns.expected}`, percent(towns.approved, towns.expected)),
    card("镇(街道)报表逾期", count(towns.late), "个"),
  ];
}

function deadlineRule(report) {
  const deadline = report.districts[0]?.timeliness?.deadline;
  if (!deadline) return "";
  const end = new Date(`${report.period.slice(0, 4)}-${report.period.endsWith("H1") ? "06-30" : "12-31"}T00:00:00Z`);
  const days = Math.round((new Date(`${deadline}T00:00:00Z`) - end) / 86400000);
  return `及时性的判断：区报表截止日为半年结束后第 ${days} 天，即 ${date(deadline)}；镇(街道)报表的截止日列在各区页面。`
    + "以报表首次报送的时间（北京时间）为准：截止日当天及以前报送为“按时报送”，之后报送为“逾期报送”，"
    + "截止日已过仍未报送为“已逾期未报送”。截止天数由服务设置决定。";
}

function districtsTable(report) {
  const row = (d) => h("tr", {},
    h("td", {}, d.name || d.district, h("div", { class: "note mono" }, d.district)),
    h("td", {}, statusBadge(d.status), d.return_reason ? h("div", { class: "note bad" }, d.return_reason) : null),
    h("td", {}, timelinessBadge(d.timeliness), h("div", { class: "note" }, timelinessText(d.timeliness))),
    h("td", { class: "num" }, `${d.completeness.submitted} / ${d.completeness.expected}`,
      h("div", { class: "note" }, `已审核 ${d.completeness.approved}${d.completeness.late ? `，逾期 ${d.completeness.late}` : ""}`)),
    h("td", { class: "num" }, `${count(d.figures.stations_compliant)} / ${count(d.figures.stations)}`),
    h("td", { class: "num" }, count(d.figures.person_times)),
    h("td", { class: "num" }, count(d.figures.recipients)),
    h("td", { class: "num" }, money(d.figures.service_hours)),
    h("td", { class: "num" }, money(d.figures.funds_spent)),
    h("td", {}, h("div", { class: "actions" }, districtActions(d))));
  const f = report.figures;
  const towns = townTotals(report.districts);
  return h("table", {},
    h("thead", {}, h("tr", {}, ["区", "报表状态", "报送时效", "镇(街道)已报送", "站点达标", "服务人次", "服务对象(人)",
      "服务时长(小时)", "资金支出(元)", "操作"].map((t, i) => h("th", { class: i >= 3 && i <= 8 ? "num" : null }, t)))),
    h("tbody", {}, report.districts.map(row),
      h("tr", { class: "total" }, h("td", {}, "全市合计"), h("td", {}, statusBadge(report.status)), h("td", {}),
        h("td", { class: "num" }, `${towns.submitted} / ${towns.expected}`),
        h("td", { class: "num" }, `${count(f.stations_compliant)} / ${count(f.stations)}`),
        h("td", { class: "num" }, count(f.person_times)), h("td", { class: "num" }, count(f.recipients)),
        h("td", { class: "num" }, money(f.service_hours)), h("td", { class: "num" }, money(f.funds_spent)), h("td", {}))));
}

// -- the districts' plans (备案) and duties ------------------------------------------------------

const plansPath = () => `/v1/city/plans/${state.period.slice(0, 4)}`;

// The plans are projected from each district's store: read again until the district's step shows.
async function untilPlan(district, status) {
  for (let attempt = 0; attempt < 10; attempt += 1) {
    const plans = await get(plansPath());
    if (plans.districts.find((d) => d.district === district)?.status === status) break;
    await new Promise((resolve) => setTimeout(resolve, 300));
  }
  await loadPlans();
}

function planActions(plan) {
  if (caller.role !== "city" || plan.status !== "submitted") return [];
  const path = `${plansPath()}/districts/${plan.district}`;
  return [
    button("备案", "approve", () => post(`${path}/file`), `${plan.name}年度购买计划已备案`,
      () => untilPlan(plan.district, "filed")),
    button("退回", "return", async () => {
      const reason = await askReason(`${plan.name}的年度购买计划`);
      return reason ? post(`${path}/return`, { reason }) : null;
    }, `${plan.name}年度购买计划已退回`, () => untilPlan(plan.district, "returned")),
  ];
}

async function loadPlans() {
  let plans;
  try {
    plans = await get(plansPath());
  } catch (error) {
    showError(error);
    return;
  }
  const rows = plans.districts.map((p) => h("tr", { "data-district": p.district },
    h("td", {}, p.name || p.district), h("td", { class: "plan-status" }, planText(p)),
    h("td", {}, p.version ? `第 ${p.version} 版` : "—"), h("td", {}, p.submitted_at ? date(p.submitted_at) : "—"),
    h("td", {}, p.filed_at ? date(p.filed_at) : "—"), h("td", {}, h("div", { class: "actions" }, planActions(p)))));
  replace("plans",
    h("p", { class: "note" }, `${plans.year}年：已备案 ${plans.filed}，待备案 ${plans.submitted}，已退回 ${plans.returned}，`
      + `编制中 ${plans.draft}，未编制 ${plans.none}`),
    h("div", { class: "table-wrap" }, h("table", {},
      h("thead", {}, h("tr", {}, ["区", "计划状态", "当前版本", "报备日期", "备案日期", "操作"].map((t) => h("th", {}, t)))),
      h("tbody", {}, rows))));
}

function dutiesTable(report) {
  const row = (d) => h("tr", { "data-district": d.district },
    h("td", {}, d.name || d.district), h("td", {}, planText(d.plan)),
    h("td", { class: "num" }, trainingCoverage(d.training)),
    h("td", {}, d.training.untrained_stations.map((s) => s.name).join("、") || "—"),
    h("td", { class: "num" }, count((d.open_problems || []).length)),
    h("td", {}, (d.open_problems || []).slice(0, 3).map((p) => h("div", { class: "note" }, `${p.raised_on} ${p.description}`))));
  return h("table", {},
    h("thead", {}, h("tr", {}, ["区", "年度计划", "培训覆盖站点", "未参训站点", "待解决问题", "最早的问题"]
      .map((t, i) => h("th", { class: [2, 4].includes(i) ? "num" : null }, t)))),
    h("tbody", {}, report.districts.map(row)));
}

function render(report, preview) {
  replace("status", statusPanel(report, preview?.blocking || []));
  if (preview) replace("submission", submissionPanel(preview));
  replace("completeness", completenessCards(report));
  replace("deadline-rule", deadlineRule(report));
  replace("districts", report.districts.length ? districtsTable(report) : h("div", { class: "empty" }, "尚无区"));
  replace("duties", report.districts.length ? dutiesTable(report) : h("div", { class: "empty" }, "尚无区"));
  replace("cards", figureCards(report.figures));
  districtsChart(document.getElementById("chart-districts"), report.districts);
  dimensionChart(document.getElementById("chart-domain"), report.figures.by_domain || {}, "service_domain");
}

async function load(params = {}) {
  replace("toolbar",
    h("h1", {}, "厦门市"),
    h("label", { for: "period" }, "报告期"), periodSelect((period) => { state.period = period; load(); }),
    h("span", { class: "spacer" }),
    downloadButtons(cityPath(), "厦门市", state.period));
  loadPlans();
  try {
    const report = await get(cityPath(), params);
    render(report);
    // The preview sums every district's approved version: shown when it comes, the live view first.
    get(`${cityPath()}/preview`, params).then((preview) => render(report, preview)).catch(showError);
  } catch (error) {
    showError(error);
    replace("status", h("div", { class: "empty" }, "报表无法加载"));
  }
}

async function start() {
  header(caller, "city.html");
  try {
    await loadVocabulary();
    state.period = await openingPeriod();
  } catch (error) {
    showError(error);
    return;
  }
  setParams({ period: state.period });
  await load();
}

start();
