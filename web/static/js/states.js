// The audit page's state as of a moment (issue 38): a town's station on a chosen day, as the records
// known at a chosen moment (now, if none) tell it, the contracts in force with each fund line's
// money, and every event that changed the station.

import { get } from "./api.js";
import { count, date, dateTime, money, todayInCst } from "./format.js";
import { onBehalfText, typeLabel } from "./records.js";
import { ROLE_LABELS, act, h, pagedTable, replace } from "./ui.js";
import { label } from "./vocabulary.js";

const view = { district: null };

// The picker's local time is China Standard Time (the page says so): the API wants its offset.
function query() {
  const on = document.getElementById("state-on").value;
  const asOf = document.getElementById("state-as-of").value;
  return { on, ...(asOf ? { as_of: `${asOf.length === 16 ? `${asOf}:00` : asOf}+08:00` } : {}) };
}

function facts(rows) {
  return h("dl", { class: "facts" }, rows.flatMap(([term, value]) => [h("dt", {}, term), h("dd", {}, value ?? "—")]));
}

function provenance(state) {
  const signed = state.checkpoint;
  return h("p", { class: "note" }, `日志位置 ${state.position}（记录截至 ${dateTime(state.as_of)}）；`,
    signed ? `签名检查点：规模 ${count(signed.tree_size)}，根 ${signed.root.slice(0, 16)}…，密钥 ${signed.key_id}`
      : "尚无覆盖此位置的签名检查点");
}

function station(state) {
  const staff = Object.entries(state.staff.by_role).map(([role, r]) =>
    h("li", {}, `${label("staff_role", role)} ${r.count} 人`, h("span", { class: "note mono" }, ` ${r.person_refs.join("、")}`)));
  const equipment = Object.entries(state.equipment.present).map(([item, e]) => `${label("equipment", item)} ×${e.quantity}`);
  const rules = Object.entries(state.rules.adopted).map(([category, r]) =>
    `${label("rule_category", category)}${r.posted_on_wall ? "（上墙）" : ""}`);
  return [
    h("h3", {}, `${state.name}民政服务站 · ${state.cutoff}`),
    facts([
      ["站点", state.established ? `${label("host_facility", state.host_facility)}，${state.address}，${state.established_on} 建立` : "未建立"],
      ["标牌", state.signboard ? `${state.signboard.text}（${state.signboard.hung_on} 悬挂）` : "未悬挂"],
      ["在岗人员", staff.length ? h("ul", {}, staff) : "无"],
      ["设备", equipment.join("、") || "无"],
      ["缺少设备", state.equipment.missing.map((item) => label("equipment", item)).join("、") || "无"],
      ["制度", rules.join("、") || "无"],
      ["未建立制度", state.rules.missing.map((c) => label("rule_category", c)).join("、") || "无"],
      ["在执行合同", state.contracts_in_force.length ? h("ul", {}, state.contracts_in_force.map((c) => h("li", {},
        `「${c.name}」${c.provider}（${label("project_role", c.role)}，至 ${c.contract_end}） `,
        h("button", { class: "btn project", type: "button", onclick: (e) => act(e.target, () => project(c.project)) },
          "资金与评估")))) : "无"],
      ["合规", state.compliance.compliant ? "合规" : h("ul", { class: "gaps" }, state.compliance.gaps.map((g) => h("li", {}, g)))],
    ]),
    provenance(state),
  ];
}

async function project(code) {
  const state = await get(`/v1/districts/${view.district}/projects/${encodeURIComponent(code)}`, query());
  const line = (l) => h("tr", {}, h("td", {}, label("fund_source", l.source)), h("td", {}, label("fund_level", l.level)),
    h("td", { class: "num" }, money(l.amount)), h("td", { class: "num" }, money(l.spent)), h("td", { class: "num" }, money(l.left)));
  const done = state.evaluations.done.map((e) => `第${e.contract_year}年度${e.kind === "self" ? "中期自评" : "期末评估"} ${e.on}`);
  const due = state.evaluations.due.map((e) => `第${e.contract_year}年度${e.kind === "self" ? "中期自评" : "期末评估"}`
    + ` ${e.due_on}${e.overdue ? "（逾期）" : ""}`);
  replace("project-state",
    h("h3", {}, `「${state.contract.name}」 · ${state.cutoff}`),
    facts([
      ["合同", `${state.contract.provider.name}，${label("procurement_method", state.contract.method)}，`
        + `${money(state.contract.amount)} 元，${state.contract.contract_start} 至 ${state.contract.contract_end}`],
      ["已评估", done.join("；") || "无"],
      ["待评估", due.join("；") || "无"],
      ["承接方退出", state.exit ? `${state.exit.exited_on}：${state.exit.reason}` : "无"],
    ]),
    h("table", {}, h("thead", {}, h("tr", {}, ["资金来源", "级次", "金额(元)", "已支出(元)", "余额(元)"].map((t) => h("th", {}, t)))),
      h("tbody", {}, state.fund_lines.map(line))),
    provenance(state));
}

function history(answer) {
  const row = (e) => h("tr", {},
    h("td", { class: "num" }, e.position),
    h("td", {}, dateTime(e.recorded_at)),
    h("td", {}, typeLabel(e.type), h("div", { class: "note mono" }, e.record_id)),
    h("td", {}, date(e.occurred_on)),
    h("td", {}, `${e.recorded_by.sub}（${ROLE_LABELS[e.recorded_by.role] || e.recorded_by.role}）`,
      e.recorded_by.on_behalf_of ? h("div", { class: "note on-behalf" }, onBehalfText(e.recorded_by.on_behalf_of)) : null));
  return [h("h3", {}, "变更记录"), answer.events.length
    ? pagedTable(["位置", "记录时间", "类型", "业务日期", "记录人"], answer.events, row, { size: 20, numeric: [0] })
    : h("div", { class: "empty" }, "该服务站尚无记录")];
}

async function show() {
  const town = document.getElementById("state-town").value;
  const base = `/v1/districts/${view.district}/towns/${town}/station`;
  const { as_of } = query();
  const [state, changes] = await Promise.all([get(base, query()), get(`${base}/history`, as_of ? { as_of } : {})]);
  replace("station-state", station(state));
  replace("project-state");
  replace("station-history", history(changes));
}

export function setUpStates(district, towns) {
  view.district = district;
  const form = document.getElementById("state-form");
  document.getElementById("state-town").replaceChildren(...towns.map((t) => h("option", { value: t.code }, t.name)));
  const day = document.getElementById("state-on");
  if (!day.value) day.value = todayInCst();
  day.max = todayInCst();
  ["station-state", "project-state", "station-history"].forEach((id) => replace(id));
  form.onsubmit = (event) => {
    event.preventDefault();
    act(form.querySelector("button[type=submit]"), show);
  };
}
