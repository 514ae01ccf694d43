// The report's sections beside its figures (API.md "Report sections"): the narrative the submitting
// level wrote, the projects in force, their evaluations, the supervision and the stations as set up.
// Every value is the report's own; a rate is worked out from two decimal strings for display only.

import { count, date, money } from "./format.js";
import { h } from "./ui.js";
import { label } from "./vocabulary.js";

const TIMING = { on_time: ["ok", "按时完成"], late: ["warn", "逾期完成"], due: ["", "未到期"], overdue: ["bad", "逾期未完成"] };
const LEVELS = { city: "市", district: "区", town: "镇(街道)" };
const NARRATIVE = [["work_done", "工作开展情况"], ["problems", "存在问题"], ["next_steps", "下步打算"]];

function table(headings, numeric, rows, empty) {
  if (!rows.length) return h("div", { class: "empty" }, empty);
  return h("div", { class: "table-wrap" }, h("table", {},
    h("thead", {}, h("tr", {}, headings.map((t, i) => h("th", { class: numeric.includes(i) ? "num" : null }, t)))),
    h("tbody", {}, rows)));
}

const num = (text) => h("td", { class: "num" }, text);
const timing = (status) => h("span", { class: `timing ${TIMING[status]?.[0] || ""}` }, TIMING[status]?.[1] || "—");

// Spent to date over the contract's amount, as a percentage with two decimals (display only).
function rate(spent, amount) {
  const whole = Number(amount);
  return whole ? `${((Number(spent) / whole) * 100).toFixed(2)}%` : "—";
}

export function narrativeSection(narrative, version) {
  if (!narrative) return h("div", { class: "empty" }, "报送时由报送单位填写工作开展情况、存在问题和下步打算");
  return h("div", { class: "narrative" },
    h("p", { class: "note" }, version === "approved" ? "已审核版本所附" : "已报送版本所附"),
    NARRATIVE.map(([key, text]) => h("div", { class: `narrative-${key}` }, h("h3", {}, text),
      h("p", {}, narrative[key] || "（未填写）"))));
}

export function projectsSection(projects, townName) {
  const rows = projects.map((p) => h("tr", { "data-project": p.project },
    h("td", {}, p.name, h("div", { class: "note" }, `${label("project_role", p.role)} · ${townName[p.town] || "多镇(街道)共同购买"}`)),
    h("td", {}, p.purchaser || "—", h("div", { class: "note" }, label("procurement_method", p.method))),
    h("td", {}, p.provider.name, h("div", { class: "note" },
      [p.provider.kind ? label("provider_kind", p.provider.kind) : null, p.provider.credit_code].filter(Boolean).join(" · "))),
    h("td", {}, `${p.contract_start} 至 ${p.contract_end}`),
    num(money(p.amount)), num(money(p.spent_in_period)), num(money(p.spent_to_date)), num(rate(p.spent_to_date, p.amount)),
    num(count(p.services.person_times)), num(count(p.services.recipients)), num(money(p.services.hours))));
  return table(["项目", "购买主体 · 方式", "承接方", "合同期限", "合同总额(元)", "本期支出(元)", "累计支出(元)", "累计执行率",
    "服务人次", "服务人数", "服务时长(小时)"], [4, 5, 6, 7, 8, 9, 10], rows, "本期无在履行的项目");
}

export function evaluationsSection(items) {
  const rows = items.map((e) => {
    const own = e.self_evaluation;
    const final = e.final_evaluation;
    return h("tr", {},
      h("td", {}, e.name, h("div", { class: "note" }, `第${e.contract_year}合同年度 ${e.year_start} 至 ${e.year_end}`)),
      h("td", {}, own ? `${own.due}` : "—"), h("td", {}, own?.submitted_on || "—"), num(own?.score ?? "—"),
      h("td", {}, own ? timing(own.status) : "—"),
      h("td", {}, final.due), h("td", {}, final.done_on || "—"),
      h("td", {}, final.evaluator ? `${label("evaluator", final.evaluator)} ${final.evaluator_name || ""}` : "—"),
      num(final.score ?? "—"), h("td", {}, final.grade || "—"), h("td", {}, timing(final.status)));
  });
  return table(["项目 · 合同年度", "自评应完成", "自评提交", "自评得分", "自评情况", "期末评估应完成", "评估完成", "评估主体",
    "评估得分", "等级", "评估情况"], [3, 8], rows, "本期无须评估的核心项目");
}

export function supervisionSection(s, townName) {
  const tally = (group, counts, labelOf) => Object.entries(counts).map(([code, n]) => `${labelOf(group, code)} ${count(n)}`).join("、");
  const items = s.items.map((i) => h("tr", { class: i.overdue ? "overdue" : null },
    h("td", {}, date(i.occurred_on)), h("td", {}, townName[i.town] || i.town),
    h("td", {}, label("inspection_kind", i.kind)), h("td", {}, LEVELS[i.by] || i.by),
    h("td", {}, i.scopes.map((c) => label("inspection_scope", c)).join("、")),
    h("td", {}, i.issues_found ? "是" : "否"), h("td", {}, i.rectification_due || "—"),
    h("td", {}, i.rectified_on || (i.overdue ? h("span", { class: "bad" }, "逾期未整改") : "—"))));
  return [
    h("div", { class: "status-line supervision-counts" },
      h("div", { class: "item" }, h("span", { class: "label" }, "监督检查次数"), h("strong", {}, count(s.inspections))),
      h("div", { class: "item" }, h("span", { class: "label" }, "按方式"), tally("inspection_kind", s.by_kind, label)),
      h("div", { class: "item" }, h("span", { class: "label" }, "按内容"), tally("inspection_scope", s.by_scope, label)),
      h("div", { class: "item" }, h("span", { class: "label" }, "按主体"), tally(null, s.by_level, (_, c) => LEVELS[c])),
      h("div", { class: "item" }, h("span", { class: "label" }, "发现问题 / 已整改"), `${count(s.with_issues)} / ${count(s.rectified)}`)),
    table(["检查日期", "镇(街道)", "方式", "主体", "内容", "发现问题", "整改期限", "整改完成"], [], items, "本期无检查记录"),
    s.overdue_rectifications.length
      ? h("div", { class: "overdue-list" }, h("p", { class: "bad" }, "截至期末逾期未完成的整改："),
        h("ul", {}, s.overdue_rectifications.map((o) => h("li", {},
          `${townName[o.town] || o.town} ${o.occurred_on} 的检查（${o.inspection}），应于 ${o.rectification_due} 前整改`))))
      : null,
  ];
}

export function rosterSection(roster) {
  const rows = roster.map((s) => h("tr", { "data-town": s.town },
    h("td", {}, s.name),
    h("td", {}, s.established ? label("host_facility", s.host_facility) : h("span", { class: "bad" }, "未建站"),
      s.address ? h("div", { class: "note" }, s.address) : null),
    h("td", {}, s.established_on || "—"),
    h("td", {}, s.signboard ? s.signboard.text : "未悬挂", s.signboard ? h("div", { class: "note" }, s.signboard.hung_on) : null),
    ...["station_head", "deputy_head_government", "deputy_head_provider", "staff"].map((role) => num(count(s.staff[role]))),
    h("td", {}, s.equipment_missing.length ? h("span", { class: "bad" },
      `缺 ${s.equipment_missing.map((i) => label("equipment", i)).join("、")}`) : `齐全（${s.equipment.length} 项）`),
    h("td", {}, `${s.rules.length} 项，上墙 ${count(s.rules_posted)} 项`,
      s.rules_missing.length ? h("div", { class: "note bad" }, `未建：${s.rules_missing.map((c) => label("rule_category", c)).join("、")}`) : null)));
  return table(["镇(街道)", "依托设施 · 地址", "建站日期", "标牌", "站长", "副站长(政府)", "副站长(承接方)", "工作人员",
    "设备", "制度"], [4, 5, 6, 7], rows, "无站点");
}

// -- the duties (guide, section 四): the plan, training coverage, open problems -------------------

// Stations whose people the city trained this year, of the stations in scope (`training.by_town`).
export function trainingCoverage(training) {
  const stations = Object.values(training.by_town || {});
  return `${count(stations.filter((n) => n > 0).length)} / ${count(stations.length)}`;
}

export function planText(plan) {
  const filed = plan.filed_version ? `，已备案第 ${plan.filed_version} 版` : "";
  return `${plan.status_label}${filed}${plan.returned_reason ? `（退回：${plan.returned_reason}）` : ""}`;
}

export function problemsList(problems, townName) {
  if (!problems.length) return h("div", { class: "empty" }, "无待解决的困难和问题");
  return table(["提出日期", "镇(街道)", "问题"], [], problems.map((p) => h("tr", {},
    h("td", {}, p.raised_on), h("td", {}, townName[p.town] || p.town), h("td", {}, p.description))), "");
}

export function dutiesSection(report, townName) {
  const untrained = report.training.untrained_stations.map((s) => s.name).join("、");
  return [
    h("div", { class: "status-line duties" },
      h("div", { class: "item plan" }, h("span", { class: "label" }, `${report.plan.year}年度购买计划`), planText(report.plan)),
      h("div", { class: "item" }, h("span", { class: "label" }, "计划 / 合同金额(元)"),
        `${money(report.plan.planned_amount)} / ${money(report.plan.contracted_amount)}`),
      h("div", { class: "item training" }, h("span", { class: "label" }, "培训覆盖站点"), trainingCoverage(report.training),
        untrained ? h("span", { class: "note bad" }, ` 未参训：${untrained}`) : null),
      h("div", { class: "item" }, h("span", { class: "label" }, "承接方进展报告"), `${count(report.progress_notes)} 份`)),
    h("h3", {}, "待解决的困难和问题"),
    problemsList(report.open_problems || [], townName),
  ];
}
