// The district page: its towns side by side, the charts, and the half-year report moving up
// the chain. With ?town= (always, for a station) the page shows that one town's report.

import { get, post } from "./api.js";
import { dimensionChart, monthChart } from "./charts.js";
import { count, money, periodLabel } from "./format.js";
import {
  downloadButtons, figureCards, statusBadge, timelinessBadge, timelinessText,
} from "./report.js";
import {
  dutiesSection, evaluationsSection, narrativeSection, projectsSection, rosterSection, supervisionSection,
} from "./sections.js";
import {
  act, askNarrative, askReason, districtSelect, h, header, openingPeriod, param, periodSelect, replace, requireCaller, setParams, showError,
  showSuccess,
} from "./ui.js";
import { label, loadVocabulary } from "./vocabulary.js";

const caller = requireCaller(["station", "town", "district", "city", "auditor", "admin"]);
const state = { period: null, district: null, town: null, districts: [] };

const districtPath = () => `/v1/districts/${state.district}/reports/${state.period}`;
const townPath = (town) => `${districtPath()}/towns/${town}`;

// -- who may do what (api/reports.py) ----------------------------------------------------------

function townScoped() {
  return ["station", "town"].includes(caller.role);
}

function mayActInDistrict() {
  return caller.role === "district" && caller.district === state.district;
}

function townActions(town, reload) {
  const buttons = [];
  // The town submits its report (or the district on its behalf); a station reads it only.
  const mine = caller.role === "town" ? caller.town === town.town : mayActInDistrict();
  if (mine && ["draft", "returned"].includes(town.status)) {
    buttons.push(button("报送", "", async () => {
      const body = await askNarrative(`${town.name}的报表`);
      return body ? post(`${townPath(town.town)}/submit`, body) : null;
    }, "已报送", reload));
  }
  if (mayActInDistrict() && town.status === "submitted") {
    buttons.push(button("审核通过", "approve", async () => post(`${townPath(town.town)}/approve`), "已审核通过", reload));
    buttons.push(button("退回", "return", async () => {
      const reason = await askReason(`${town.name}的报表`);
      return reason ? post(`${townPath(town.town)}/return`, { reason }) : null;
    }, "已退回", reload));
  }
  return buttons;
}

function districtActions(report, reload, blocking) {
  const buttons = [];
  if (mayActInDistrict() && ["draft", "returned"].includes(report.status)) {
    buttons.push(blocking.length
      ? button("说明原因后报送", "primary", async () => {
        const body = await askNarrative("区报表（部分镇(街道)未审核）", "请说明未待其审核即报送的原因（必填）");
        return body ? post(`${districtPath()}/submit`, body) : null;
      }, "区报表已报送", reload)
      : button("向市报送区报表", "primary", async () => {
        const body = await askNarrative("区报表");
        return body ? post(`${districtPath()}/submit`, body) : null;
      }, "区报表已报送", reload));
  }
  if (caller.role === "city" && report.status === "submitted") {
    const city = `/v1/city/reports/${state.period}/districts/${state.district}`;
    buttons.push(button("审核通过", "approve", async () => post(`${city}/approve`), "区报表已审核通过", reload));
    buttons.push(button("退回", "return", async () => {
      const reason = await askReason(`${report.name}的报表`);
      return reason ? post(`${city}/return`, { reason }) : null;
    }, "区报表已退回", reload));
  }
  return buttons;
}

// A button for a step of the chain; a cancelled step (no answer) changes nothing.
function button(text, kind, action, done, reload) {
  const element = h("button", { class: `btn small ${kind}` }, text);
  element.addEventListener("click", () => act(element, action, async (answer) => {
    if (!answer) return;
    showSuccess(done);
    await reload(answer.position);
  }));
  return element;
}

// -- rendering -------------------------------------------------------------------------------

function statusPanel(report, actions, what) {
  return [
    h("h2", {}, `${what} · ${periodLabel(report.period)}`),
    h("div", { class: "status-line" },
      h("div", { class: "item" }, h("span", { class: "label" }, "报表状态"), statusBadge(report.status)),
      h("div", { class: "item" }, h("span", { class: "label" }, "报送时效"), timelinessBadge(report.timeliness), " ",
        timelinessText(report.timeliness)),
      report.completeness ? h("div", { class: "item" }, h("span", { class: "label" }, "镇(街道)报送"),
        `已报送 ${report.completeness.submitted} / ${report.completeness.expected}，已审核 ${report.completeness.approved}`,
        report.completeness.returned ? `，退回 ${report.completeness.returned}` : "") : null,
      h("div", { class: "actions" }, actions)),
    report.return_reason ? h("p", { class: "bad" }, `退回原因：${report.return_reason}`) : null,
    h("p", { class: "note" }, "报送即冻结当时的数字；此后录入的本期记录作为调整列出，不会悄然改变已报送的报表。"),
  ];
}

// What a submission would freeze now (报送口径), and the towns that stop it.
function submissionPanel(preview) {
  const f = preview.figures;
  return [
    h("div", { class: "cards" }, [
      ["服务人次", count(f.person_times), "人次"], ["服务对象", count(f.recipients), "人"],
      ["服务时长", money(f.service_hours), "小时"], ["资金支出", money(f.funds_spent), "元"],
    ].map(([text, value, unit]) => h("div", { class: "card" }, h("div", { class: "label" }, text),
      h("div", { class: "value" }, value, h("small", {}, unit))))),
    preview.blocking.length
      ? h("div", { class: "blocking" }, h("p", { class: "bad" }, "以下镇(街道)有服务站但报表尚未审核通过，区报表暂不能报送（或说明原因后报送）："),
        h("ul", {}, preview.blocking.map((t) => h("li", {}, `${t.name}（${t.town}）`, statusBadge(t.status)))))
      : h("p", { class: "ok" }, "有服务站的镇(街道)报表均已审核通过，可以报送。"),
  ];
}

function complianceCell(compliance) {
  if (compliance.compliant) return h("span", { class: "ok" }, "✓ 达标");
  return h("ul", { class: "gaps" }, compliance.gaps.map((gap) => h("li", {}, gap)));
}

// The period's records of a town entered by a level above for their owner (the report's on_behalf).
const OWNER_LABELS = { station: "服务站(承接方)", town: "镇(街道)" };

function onBehalfNote(onBehalf) {
  const entries = Object.entries(onBehalf || {});
  if (!entries.length) return null;
  return h("div", { class: "note on-behalf" },
    `代录：${entries.map(([owner, n]) => `${OWNER_LABELS[owner] || owner} ${count(n)} 条`).join("、")}`);
}

function townsTable(report, reload) {
  const row = (town) => h("tr", {},
    h("td", {}, h("a", { href: "#", onclick: (e) => { e.preventDefault(); openTown(town.town); } }, town.name),
      h("div", { class: "note mono" }, town.town), onBehalfNote(town.on_behalf)),
    h("td", {}, statusBadge(town.status), town.return_reason ? h("div", { class: "note bad" }, town.return_reason) : null),
    h("td", {}, timelinessBadge(town.timeliness), h("div", { class: "note" }, timelinessText(town.timeliness))),
    h("td", {}, complianceCell(town.compliance)),
    h("td", { class: "num" }, count(town.figures.person_times)),
    h("td", { class: "num" }, count(town.figures.recipients)),
    h("td", { class: "num" }, money(town.figures.service_hours)),
    h("td", { class: "num" }, money(town.figures.funds_spent)),
    h("td", {}, h("div", { class: "actions" }, townActions(town, reload))));
  const f = report.figures;
  return h("table", {},
    h("thead", {}, h("tr", {}, ["镇(街道)", "报表状态", "报送时效", "站点达标", "服务人次", "服务对象(人)", "服务时长(小时)",
      "资金支出(元)", "操作"].map((t, i) => h("th", { class: i >= 4 && i <= 7 ? "num" : null }, t)))),
    h("tbody", {}, report.towns.map(row),
      h("tr", { class: "total" }, h("td", {}, "全区合计"), h("td", {}, statusBadge(report.status)), h("td", {}),
        h("td", {}, `${count(f.stations_compliant)} / ${count(report.towns.length)} 达标`),
        h("td", { class: "num" }, count(f.person_times)), h("td", { class: "num" }, count(f.recipients)),
        h("td", { class: "num" }, money(f.service_hours)), h("td", { class: "num" }, money(f.funds_spent)), h("td", {}))));
}

function projectsTable(projects, towns) {
  if (!projects.length) return h("div", { class: "empty" }, "本期无合同项目");
  const townName = Object.fromEntries(towns.map((t) => [t.town, t.name]));
  const rows = projects.flatMap((p) => {
    const lines = Object.entries(p.fund_lines);
    const span = { rowspan: lines.length };
    return lines.map(([source, line], i) => h("tr", {},
      i === 0 ? h("td", span, p.name, h("div", { class: "note" }, `${label("project_role", p.role)} · 承接方 ${p.provider}`)) : null,
      i === 0 ? h("td", span, townName[p.town] || p.town) : null,
      i === 0 ? h("td", span, `${p.contract_start} 至 ${p.contract_end}`) : null,
      i === 0 ? h("td", { class: "num", ...span }, money(p.amount)) : null,
      h("td", {}, label("fund_source", source)),
      h("td", { class: "num" }, money(line.budget)),
      h("td", { class: "num" }, money(line.spent_in_period)),
      h("td", { class: "num" }, money(line.spent_to_date))));
  });
  return h("table", {},
    h("thead", {}, h("tr", {}, ["项目", "镇(街道)", "合同期", "合同总额(元)", "资金来源", "该来源合同额(元)", "本期支出(元)", "累计支出(元)"]
      .map((t, i) => h("th", { class: [3, 5, 6, 7].includes(i) ? "num" : null }, t)))),
    h("tbody", {}, rows));
}

function charts(figures) {
  dimensionChart(document.getElementById("chart-domain"), figures.by_domain, "service_domain");
  dimensionChart(document.getElementById("chart-category"), figures.by_recipient_category, "recipient_category");
  monthChart(document.getElementById("chart-month"), figures.by_month);
}

function toolbar(report) {
  const district = state.districts.find((d) => d.code === state.district);
  const title = state.town ? `${district?.name || ""}${report.name}` : report.name || district?.name || state.district;
  return [
    h("h1", {}, title),
    h("label", { for: "period" }, "报告期"), periodSelect((period) => { state.period = period; load(); }),
    state.districts.length > 1 ? h("label", { for: "district" }, "区") : null,
    state.districts.length > 1 ? districtSelect(state.districts, state.district, (code) => {
      Object.assign(state, { district: code, town: null });
      setParams({ district: code, town: null });
      load();
    }) : null,
    state.town && !townScoped()
      ? h("button", { class: "btn", onclick: () => openTown(null) }, "← 返回全区") : null,
    h("span", { class: "spacer" }),
    downloadButtons(state.town ? townPath(state.town) : districtPath(), title, state.period),
  ];
}

// The audit page tracing a figure of this report (lineage is for readers, not stations).
function lineageLink(figure) {
  if (townScoped()) return null;
  const query = new URLSearchParams({ district: state.district, period: state.period, figure });
  if (state.town) query.set("town", state.town);
  return `audit.html?${query}`;
}

function openTown(town) {
  state.town = town;
  setParams({ town });
  load();
}

async function load(minPosition) {
  const params = minPosition ? { min_position: minPosition } : {};
  let report;
  try {
    report = await get(state.town ? townPath(state.town) : districtPath(), params);
  } catch (error) {
    showError(error);
    replace("status", h("div", { class: "empty" }, "报表无法加载"));
    return;
  }
  replace("toolbar", toolbar(report));
  const reload = (position) => load(position);
  if (state.town) {
    replace("status", statusPanel(report, townActions(report, reload), `${report.name}报表`));
    replace("compliance", complianceCell(report.compliance));
  } else {
    let preview = null;
    try {
      preview = await get(`${districtPath()}/preview`);
    } catch (error) {
      showError(error);
    }
    replace("status", statusPanel(report, districtActions(report, reload, preview?.blocking || []), `${report.name}报表`));
    replace("towns", townsTable(report, reload));
    if (preview) replace("submission", submissionPanel(preview));
  }
  document.getElementById("submission-panel").hidden = Boolean(state.town);
  document.getElementById("towns-panel").hidden = Boolean(state.town);
  document.getElementById("compliance-panel").hidden = !state.town;
  document.getElementById("projects-panel").hidden = false;
  replace("projects", projectsTable(report.projects_detail || [], report.towns || [report]));
  replace("cards", figureCards(report.figures, lineageLink));
  charts(report.figures);
  await showSections(report);
}

// The sections of the report; the narrative is the last submission's, as its frozen version holds it.
async function showSections(report) {
  const names = Object.fromEntries((report.towns || [report]).map((t) => [t.town, t.name]));
  const parts = [["projects", projectsSection(report.projects || [], names)],
    ["evaluations", evaluationsSection(report.evaluations || [])],
    ["supervision", report.supervision ? supervisionSection(report.supervision, names) : null],
    ["roster", rosterSection(report.roster || [])]];
  for (const [name, content] of parts) {
    replace(`sections-${name}`, content);
    document.getElementById(`sections-${name}-panel`).hidden = !content;
  }
  if (report.plan) replace("duties", dutiesSection(report, names));
  document.getElementById("duties-panel").hidden = !report.plan;
  let frozen = null;
  if (["submitted", "approved"].includes(report.status)) {
    try {
      frozen = await get(state.town ? townPath(state.town) : districtPath(), { version: report.status });
    } catch (error) {
      showError(error);
    }
  }
  replace("narrative", narrativeSection(frozen?.narrative, frozen?.version));
  document.getElementById("narrative-panel").hidden = false;
}

async function start() {
  header(caller, "district.html");
  try {
    await loadVocabulary();
    state.districts = (await get("/v1/districts")).districts;
    state.period = await openingPeriod();
  } catch (error) {
    showError(error);
    return;
  }
  state.district = caller.district || param("district") || state.districts[0]?.code;
  state.town = townScoped() ? caller.town : param("town");
  if (!state.district) {
    replace("status", h("div", { class: "empty" }, "尚无可查看的区"));
    return;
  }
  setParams({ period: state.period, district: state.district, town: state.town });
  await load();
}

start();
