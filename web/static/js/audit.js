// The audit page: a district's event log with filters, the lineage of one figure (with its
// contracts), a frozen version's replay, and the verification of the hash chain and signed checkpoints.

import { get } from "./api.js";
import { count, dateTime, money, monthLabel, periodLabel } from "./format.js";
import {
  ROLE_LABELS, act, districtSelect, h, header, openingPeriod, pagedTable, param, periodSelect, replace, requireCaller, setParams,
  showError,
} from "./ui.js";
import { codes, label, loadVocabulary } from "./vocabulary.js";
import { onBehalfText, typeLabel } from "./records.js";
import { setUpStates } from "./states.js";
import { contractLine, replay } from "./replay.js";

const PAGE = 500;

const caller = requireCaller(["district", "city", "auditor", "admin"]);
const state = { district: null, period: null, districts: [], events: [], after: 0, end: false };

const districtBase = () => `/v1/districts/${state.district}`;

function actorText(actor) {
  return `${actor.sub}（${ROLE_LABELS[actor.role] || actor.role}）`;
}

function writerCell(event) {
  return h("td", {}, actorText(event.actor),
    event.on_behalf_of ? h("div", { class: "note on-behalf" }, onBehalfText(event.on_behalf_of)) : null);
}

// -- verification ---------------------------------------------------------------------------

function verdict(result) {
  if (result.ok) {
    return [
      h("p", { class: "verdict pass" }, "✓ 通过"),
      h("p", {}, `已从存储的事件重新计算 ${count(result.events)} 个事件的哈希链和 ${count(result.checkpoints)} 个签名检查点，`
        + "全部一致：没有事件在记录后被修改、删除或插入，检查点签名有效。"),
      h("p", { class: "note" }, `用时 ${result.seconds} 秒`),
    ];
  }
  return [
    h("p", { class: "verdict fail" }, "✗ 未通过"),
    h("p", {}, result.first_bad_position != null
      ? `第一个异常位置：${result.first_bad_position}。此位置起的事件与哈希链或签名检查点不符，可能被修改、删除或插入。`
      : "签名检查点与事件日志不符。"),
    h("table", {},
      h("thead", {}, h("tr", {}, h("th", {}, "位置"), h("th", {}, "原因"))),
      h("tbody", {}, result.problems.map((p) => h("tr", {},
        h("td", { class: "num" }, p.position ?? "—"), h("td", {}, p.detail.split(" / ")[0]))))),
    h("p", { class: "note" }, `共核对 ${count(result.events)} 个事件、${count(result.checkpoints)} 个检查点，用时 ${result.seconds} 秒`),
  ];
}

async function verify() {
  replace("verification", h("div", { class: "loading" }, "正在验证…"));
  try {
    replace("verification", verdict(await get(`${districtBase()}/audit/verify`)));
  } catch (error) {
    replace("verification");
    throw error;
  }
}

// -- the event log --------------------------------------------------------------------------

function filters() {
  return {
    type: document.getElementById("filter-type").value,
    from: document.getElementById("filter-from").value,
    to: document.getElementById("filter-to").value,
    actor: document.getElementById("filter-actor").value.trim().toLowerCase(),
  };
}

// recorded_at is China Standard Time (+08:00), so its first ten characters are its CST date.
function matches(event, f) {
  const day = event.recorded_at.slice(0, 10);
  const behalf = event.on_behalf_of ? onBehalfText(event.on_behalf_of) : "";
  const actor = `${event.actor.sub} ${event.actor.role} ${ROLE_LABELS[event.actor.role] || ""} ${behalf}`.toLowerCase();
  return (!f.type || event.type === f.type) && (!f.from || day >= f.from) && (!f.to || day <= f.to)
    && (!f.actor || actor.includes(f.actor));
}

// The record's id, with its town's and project's names beside it where the answer gives them (lineage).
function payload(event) {
  const names = [event.town_name, event.project_name && `「${event.project_name}」`].filter(Boolean).join(" · ");
  return h("details", { class: "payload" }, h("summary", {}, event.record_id, names ? h("span", { class: "note" }, ` ${names}`) : null),
    h("pre", {}, JSON.stringify(event.payload, null, 2)));
}

function eventRow(event) {
  return h("tr", {},
    h("td", { class: "num" }, event.position),
    h("td", {}, dateTime(event.recorded_at)),
    h("td", {}, typeLabel(event.type), h("div", { class: "note mono" }, event.type)),
    h("td", {}, payload(event)),
    writerCell(event),
    h("td", { class: "mono", title: `链值 ${event.chain}` }, `${event.hash.slice(0, 16)}…`));
}

function renderEvents() {
  const f = filters();
  const shown = state.events.filter((e) => matches(e, f));
  const typeSelect = document.getElementById("filter-type");
  const known = new Set([...typeSelect.options].map((o) => o.value));
  for (const type of new Set(state.events.map((e) => e.type))) {
    if (!known.has(type)) typeSelect.append(h("option", { value: type }, typeLabel(type)));
  }
  const last = state.events.at(-1)?.position ?? 0;
  replace("event-count", `已加载 ${count(state.events.length)} 个事件（至位置 ${last}${state.end ? "，已到末尾" : ""}），`
    + `符合条件 ${count(shown.length)} 个`);
  document.getElementById("more-events").hidden = state.end;
  replace("events", shown.length
    ? pagedTable(["位置", "记录时间", "类型", "记录编号与内容", "操作人", "哈希"], shown, eventRow, { numeric: [0] })
    : h("div", { class: "empty" }, state.events.length ? "已加载的事件中没有符合条件的" : "尚无事件"));
}

async function moreEvents() {
  const page = await get(`${districtBase()}/events`, { after: state.after, limit: PAGE });
  state.events.push(...page.events);
  state.after = page.next_after;
  state.end = page.events.length < PAGE;
  renderEvents();
}

// -- lineage ----------------------------------------------------------------------------------

const MEASURES = { person_times: "服务人次", recipients: "服务对象(人)", hours: "服务时长(小时)" };
const TOTAL_MEASURES = { person_times: "服务人次", recipients: "服务对象(人)", service_hours: "服务时长(小时)" };

function months(period) {
  const [year, half] = [period.slice(0, 4), period.slice(5)];
  return Array.from({ length: 6 }, (_, i) => `${year}-${String(i + 1 + (half === "2" ? 6 : 0)).padStart(2, "0")}`);
}

// Each kind of figure: its keys (code -> label) and measures; the path is built from them.
function figureKinds() {
  const byCodes = (group) => Object.fromEntries(codes(group).map((c) => [c, label(group, c)]));
  return {
    total: { text: "合计", keys: { "": "—" }, measures: TOTAL_MEASURES, path: (k, m) => m },
    by_domain: { text: "按服务领域", keys: byCodes("service_domain"), measures: MEASURES },
    by_recipient_category: { text: "按服务对象类别", keys: byCodes("recipient_category"), measures: MEASURES },
    by_service_type: { text: "按服务类型", keys: byCodes("service_type"), measures: MEASURES },
    by_month: { text: "按月份", keys: Object.fromEntries(months(state.period).map((m) => [m, monthLabel(m)])), measures: MEASURES },
    funds_spent: { text: "资金支出", keys: { "": "—" }, measures: { "": "金额(元)" }, path: () => "funds_spent" },
    funds_by_source: { text: "按资金来源支出", keys: byCodes("fund_source"), measures: { "": "金额(元)" }, path: (k) => `funds_by_source.${k}` },
    inspections: { text: "监督检查次数", keys: { "": "—" }, measures: { "": "次数" }, path: () => "inspections" },
    stations: { text: "站点数", keys: { "": "—" }, measures: { "": "个数" }, path: () => "stations" },
    projects: { text: "项目数", keys: byCodes("project_role"), measures: { "": "个数" }, path: (k) => `projects.${k}` },
  };
}

function options(select, entries, chosen) {
  select.replaceChildren(...Object.entries(entries).map(([value, text]) =>
    h("option", { value, selected: value === chosen }, typeof text === "string" ? text : text.text)));
}

function setUpLineage() {
  const kinds = figureKinds();
  const kind = document.getElementById("figure-kind");
  const key = document.getElementById("figure-key");
  const measure = document.getElementById("figure-measure");
  const fill = () => {
    const chosen = kinds[kind.value];
    options(key, chosen.keys, key.value);
    options(measure, chosen.measures, measure.value);
    key.disabled = Object.keys(chosen.keys).length === 1 && "" in chosen.keys;
    measure.disabled = Object.keys(chosen.measures).length === 1;
  };
  options(kind, kinds, kind.value || "by_domain");
  kind.onchange = fill;
  fill();
  const town = document.getElementById("lineage-town");
  const district = state.districts.find((d) => d.code === state.district);
  town.replaceChildren(h("option", { value: "" }, "全区"),
    ...(district?.towns || []).map((t) => h("option", { value: t.code }, t.name)));
}

// The selectors set to a figure path (from ?figure=), as figurePath() would build it.
function chooseFigure(path, town) {
  const parts = path.split(".");
  const kinds = figureKinds();
  let [kind, key, measure] = [parts[0], parts[1] ?? "", parts[2] ?? ""];
  if (parts.length === 1 && parts[0] in TOTAL_MEASURES) [kind, key, measure] = ["total", "", parts[0]];
  if (!(kind in kinds)) return false;
  const set = (id, value) => { document.getElementById(id).value = value; };
  set("figure-kind", kind);
  document.getElementById("figure-kind").onchange();
  set("figure-key", key);
  set("figure-measure", measure);
  set("lineage-town", town || "");
  return figurePath() === path;
}

function figurePath() {
  const kinds = figureKinds();
  const kind = document.getElementById("figure-kind").value;
  const key = document.getElementById("figure-key").value;
  const measure = document.getElementById("figure-measure").value;
  return kinds[kind].path ? kinds[kind].path(key, measure) : `${kind}.${key}.${measure}`;
}

// "按服务领域 · 老龄和养老 · 服务人次", from the selectors the figure was chosen with.
function figureName() {
  return ["figure-kind", "figure-key", "figure-measure"].map((id) => document.getElementById(id))
    .filter((select) => !select.disabled).map((select) => select.selectedOptions[0]?.textContent).join(" · ");
}

// A figure's value or an event's part in it: money and hours have decimals, counts none.
function amount(value) {
  return String(value).includes(".") ? money(value) : count(value);
}

function townName(code) {
  const district = state.districts.find((d) => d.code === state.district);
  return district?.towns.find((t) => t.code === code)?.name || code;
}

function lineageResult(result) {
  const row = (e) => h("tr", { class: e.voided ? "voided" : null },
    h("td", { class: "num" }, e.position),
    h("td", {}, dateTime(e.recorded_at)),
    h("td", {}, typeLabel(e.type)),
    h("td", {}, payload(e), contractLine(e)),
    h("td", {}, actorText(e.actor)),
    h("td", { class: "num" }, amount(e.contribution)),
    h("td", {}, e.voided ? `已被 ${e.voided_by} 作废` : "有效"));
  const active = result.events.filter((e) => !e.voided).length;
  return [
    h("p", {}, h("strong", {}, `${figureName()} = ${amount(result.value)}`), h("span", { class: "note mono" }, ` ${result.figure} `),
      `（${periodLabel(result.period)}，${result.town ? townName(result.town) : "全区"}；${count(active)} 个有效事件，`
      + `${count(result.events.length - active)} 个已作废）`),
    result.events.length
      ? pagedTable(["位置", "记录时间", "类型", "记录编号与内容", "操作人", "贡献", "状态"], result.events, row,
        { size: 20, numeric: [0, 5] })
      : h("div", { class: "empty" }, "本期没有构成该数字的事件"),
  ];
}

async function trace() {
  const town = document.getElementById("lineage-town").value;
  const result = await get(`${districtBase()}/reports/${state.period}/lineage`, { figure: figurePath(), town, contracts: true });
  replace("lineage", lineageResult(result));
}

// -- the page -------------------------------------------------------------------------------

async function openDistrict(code) {
  Object.assign(state, { district: code, events: [], after: 0, end: false });
  setParams({ district: code, period: state.period });
  replace("verification");
  replace("replay");
  replace("lineage");
  setUpLineage();
  setUpStates(code, state.districts.find((d) => d.code === code)?.towns || []);
  try {
    await moreEvents();
  } catch (error) {
    showError(error);
  }
}

async function start() {
  header(caller, "audit.html");
  try {
    await loadVocabulary();
    state.districts = (await get("/v1/districts")).districts;
    state.period = await openingPeriod();
  } catch (error) {
    showError(error);
    return;
  }
  setParams({ period: state.period });
  const district = caller.district || param("district") || state.districts[0]?.code;
  replace("toolbar",
    h("h1", {}, "审计"),
    state.districts.length > 1 ? h("label", { for: "district" }, "区") : null,
    state.districts.length > 1 ? districtSelect(state.districts, district, openDistrict)
      : h("span", {}, state.districts[0]?.name || district),
    h("label", { for: "period" }, "报告期"),
    periodSelect((period) => { state.period = period; setUpLineage(); }));
  const verifyButton = document.getElementById("verify");
  verifyButton.addEventListener("click", () => act(verifyButton, verify));
  const more = document.getElementById("more-events");
  more.addEventListener("click", () => act(more, moreEvents));
  document.getElementById("event-filters").addEventListener("input", renderEvents);
  document.getElementById("event-filters").addEventListener("submit", (e) => e.preventDefault());
  const replayForm = document.getElementById("replay-form");
  replayForm.addEventListener("submit", (event) => {
    event.preventDefault();
    act(replayForm.querySelector("button[type=submit]"), () => replay(districtBase(), state.period));
  });
  const form = document.getElementById("lineage-form");
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    act(form.querySelector("button[type=submit]"), trace);
  });
  if (!district) return;
  await openDistrict(district);
  const figure = param("figure");
  if (figure && chooseFigure(figure, param("town"))) {
    await act(form.querySelector("button[type=submit]"), trace);
    document.getElementById("lineage-form").scrollIntoView();
  }
}

start();
