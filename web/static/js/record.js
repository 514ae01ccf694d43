// The record page: a station's staff and a town's clerk record their work through forms. Each
// record is kept in this browser first (outbox.js) and sent at once when the network is up, else
// when it returns; after a write the page waits for the report to count it (min_position).

import { ApiError, chinese, get } from "./api.js";
import { count, dateTime, periodLabel } from "./format.js";
import * as outbox from "./outbox.js";
import { FORMS, formRows, formsFor, readFields } from "./record_forms.js";
import { typeLabel } from "./records.js";
import { act, badge, h, header, param, replace, requireCaller, setParams, showError, showSuccess } from "./ui.js";
import { loadVocabulary } from "./vocabulary.js";

const caller = requireCaller(["station", "town", "district"]);
const state = { district: caller.district, town: caller.town, towns: [], form: null, sending: false,
                choices: { projects: [], inspections: [] } };

const townName = (code) => state.towns.find((t) => t.code === code)?.name || code;

function periodOf(day) {
  return `${day.slice(0, 4)}H${Number(day.slice(5, 7)) <= 6 ? 1 : 2}`;
}

// -- what the forms pick from --------------------------------------------------------------------

// The town's contracts in force (the station's state), for the project pickers.
async function projectsOf(town) {
  const station = await get(`/v1/districts/${state.district}/towns/${town}/station`);
  return station.contracts_in_force || [];
}

// The town's inspections to rectify. A district reads them from the report's lineage; a station or
// town (whose scope has no such list) sees those the report names as overdue, and those recorded here.
async function inspectionsOf(town) {
  const found = new Map();
  const today = new Date();
  const thisPeriod = periodOf(today.toISOString().slice(0, 10));
  const year = Number(thisPeriod.slice(0, 4));
  const lastPeriod = thisPeriod.endsWith("H2") ? `${year}H1` : `${year - 1}H2`;
  for (const period of [thisPeriod, lastPeriod]) {
    if (caller.role === "district") {
      const traced = await get(`/v1/districts/${state.district}/reports/${period}/lineage`, { figure: "inspections", town });
      for (const e of traced.events.filter((e) => !e.voided)) {
        found.set(e.record_id, `${e.payload.occurred_on} ${e.payload.issues_found ? "发现问题" : "未发现问题"}`);
      }
    } else {
      const report = await get(`/v1/districts/${state.district}/reports/${period}/towns/${town}`);
      for (const gap of report.compliance?.gap_details || []) {
        if (gap.code.startsWith("rectification_overdue:")) found.set(gap.code.split(":")[1], gap.zh);
      }
    }
  }
  return recordedInspections(town, found);
}

async function recordedInspections(town, found) {
  for (const e of await outbox.entries(caller, state.district)) {
    if (e.record.type === "inspection_done" && e.town === town && e.status !== outbox.REFUSED) {
      found.set(e.id, `${e.record.occurred_on} 本机录入`);
    }
  }
  return [...found].map(([id, text]) => ({ id, text }));
}

async function loadChoices() {
  const town = state.town;
  if (!navigator.onLine) {  // opened offline: only what this browser recorded
    state.choices = { projects: [], inspections: await recordedInspections(town, new Map()) };
    return;
  }
  const [projects, inspections] = await Promise.all([
    projectsOf(town).catch((error) => { showError(error); return []; }),
    inspectionsOf(town).catch((error) => { showError(error); return []; })]);
  state.choices = { projects, inspections };
}

// -- the form ------------------------------------------------------------------------------------

function showForm(form) {
  state.form = form;
  setParams({ type: form.type });
  document.querySelectorAll("#types button").forEach((b) => b.classList.toggle("current", b.value === form.type));
  const element = h("form", { id: "record-form", class: "record-form", novalidate: false },
    h("h2", {}, `录入：${form.title}`, h("small", {}, `镇(街道)：${townName(state.town)}`)),
    formRows(form, state.choices),
    h("div", { class: "actions spaced" },
      h("button", { class: "btn primary", type: "submit", id: "save" }, "保存并发送"),
      h("span", { class: "note" }, "记录先保存在本机；网络不通时待联网后自动发送。")));
  element.addEventListener("submit", (event) => {
    event.preventDefault();
    act(element.querySelector("#save"), () => record(form, element));
  });
  replace("form-panel", element);
}

function recordOf(form, element) {
  const record = { id: outbox.newRecordId(form.prefix), type: form.type, ...readFields(form, element) };
  if (form.type !== "rectification_done") record.town = state.town;  // a rectification names its inspection
  if (form.type === "inspection_done") record.by = caller.role === "district" ? "district" : "town";
  return record;
}

async function record(form, element) {
  const entry = outbox.entryOf(caller, state.district, state.town, recordOf(form, element));
  await outbox.keep(entry);
  let sent;
  try {
    sent = await outbox.send(entry);
  } catch (error) {
    await outbox.forget(entry.id);  // refused as typed: the person corrects the form and saves again
    await showOutbox();
    throw error;
  }
  await showOutbox();
  if (sent.status === outbox.WAITING) {
    showSuccess("网络不通：记录已保存在本机，待联网后自动发送");
    return;
  }
  if (form.type === "inspection_done") await loadChoices();  // a new inspection to rectify
  showForm(form);
  await confirmCounted(sent);
}

// After a write, wait for the town's report to have reached the write's position, and say so.
async function confirmCounted(sent) {
  const day = sent.record[FORMS.find((f) => f.type === sent.record.type).dated];
  const period = periodOf(day);
  const where = `${townName(sent.town)}${periodLabel(period)}报表`;
  replace("confirmation", h("div", { class: "message success" },
    `${sent.result === "duplicate" ? "已存在（重复发送）" : "已接收"}：${typeLabel(sent.record.type)} ${sent.id}，正在等待${where}更新…`));
  const report = await countedIn(sent, period);
  replace("confirmation", h("div", { class: "message success", id: "counted" },
    `已计入${where}（日志位置 ${sent.position}）：服务人次 ${count(report.figures.person_times)}，`,
    `检查 ${count(report.figures.inspections)} 次，待整改 ${count(report.figures.open_rectifications)} 项。`));
}

async function countedIn(sent, period) {
  const path = `/v1/districts/${state.district}/reports/${period}/towns/${sent.town}`;
  for (let attempt = 0; ; attempt += 1) {
    try {
      return await get(path, { min_position: sent.position });
    } catch (error) {
      // 503: the projections have not reached the position within the API's wait; ask again.
      if (!(error instanceof ApiError && error.status === 503 && attempt < 5)) throw error;
    }
  }
}

// -- what waits in this browser, and what was sent -------------------------------------------------

const STATUS = {
  [outbox.WAITING]: ["pending", "待发送"], [outbox.SENT]: ["approved", "已发送"], [outbox.REFUSED]: ["returned", "被拒绝"],
};

function entryRow(entry, reload) {
  const [kind, text] = STATUS[entry.status];
  const result = entry.status === outbox.SENT ? (entry.result === "duplicate" ? "服务已有此记录" : "已接收")
    : entry.status === outbox.REFUSED ? chinese(entry.reason) : "";
  return h("tr", { "data-id": entry.id, class: entry.status },
    h("td", { class: "mono" }, entry.id), h("td", {}, typeLabel(entry.record.type)), h("td", {}, townName(entry.town)),
    h("td", {}, dateTime(entry.made_at)), h("td", {}, badge(kind, text)), h("td", {}, result),
    h("td", {}, entry.status === outbox.REFUSED
      ? h("button", { class: "btn small", type: "button", onclick: async () => { await outbox.forget(entry.id); reload(); } }, "删除")
      : null));
}

async function showOutbox() {
  const found = await outbox.entries(caller, state.district);
  const waiting = found.filter((e) => e.status === outbox.WAITING).length;
  replace("outbox-summary", `待发送 ${waiting} 条，已发送 ${found.filter((e) => e.status === outbox.SENT).length} 条`);
  document.getElementById("send-now").disabled = !waiting;
  replace("outbox", found.length
    ? h("div", { class: "table-wrap" }, h("table", {},
      h("thead", {}, h("tr", {}, ["记录编号", "类型", "镇(街道)", "录入时间", "状态", "结果", ""].map((t) => h("th", {}, t)))),
      h("tbody", {}, found.map((e) => entryRow(e, showOutbox)))))
    : h("div", { class: "empty" }, "本机尚无录入的记录"));
}

// Send what waits, one record after another; a second call while sending does nothing.
async function sendWaiting() {
  if (state.sending || !navigator.onLine) return;
  state.sending = true;
  let sent = 0;
  try {
    for (const entry of (await outbox.entries(caller, state.district)).filter((e) => e.status === outbox.WAITING)) {
      try {
        if ((await outbox.send(entry)).status === outbox.SENT) sent += 1;
      } catch (error) {
        showError(error);
      }
    }
  } finally {
    state.sending = false;
    await showOutbox();
  }
  if (sent) showSuccess(`已发送本机保存的 ${sent} 条记录`);
}

function showNetwork() {
  const online = navigator.onLine;
  replace("network", badge(online ? "approved" : "returned", online ? "网络已连接" : "网络未连接：记录将保存在本机"));
}

// -- the page ------------------------------------------------------------------------------------

async function chooseTown(town) {
  state.town = town;
  setParams({ town });
  await loadChoices();
  showForm(state.form);
}

// The service worker lets the page open again without a network (browsers offer it on https and
// localhost only). On the first visit the page's reads went past it: read again through it, kept.
async function keepForOffline() {
  if (!navigator.serviceWorker) return;
  await navigator.serviceWorker.register("sw.js");
  if (navigator.serviceWorker.controller) return;
  await new Promise((resolve) => navigator.serviceWorker.addEventListener("controllerchange", resolve, { once: true }));
  await Promise.all([get("/v1/vocabulary"), get("/v1/districts")]);
}

async function start() {
  header(caller, "record.html");
  keepForOffline().catch(showError);
  await loadVocabulary();
  const { districts } = await get("/v1/districts");
  state.towns = districts.find((d) => d.code === state.district)?.towns || [];
  const forms = formsFor(caller.role);
  state.form = forms.find((f) => f.type === param("type")) || forms[0];
  if (caller.role === "district") {
    state.town = state.towns.some((t) => t.code === param("town")) ? param("town") : state.towns[0]?.code;
    const select = h("select", { id: "town", "aria-label": "镇(街道)" },
      state.towns.map((t) => h("option", { value: t.code, selected: t.code === state.town }, t.name)));
    select.addEventListener("change", () => chooseTown(select.value).catch(showError));
    document.getElementById("toolbar").append(h("label", { for: "town" }, "代镇(街道)/服务站录入："), select);
  }
  replace("types", forms.map((f) => h("button", { class: "btn", type: "button", value: f.type, onclick: () => showForm(f) }, f.title)));
  const sendNow = document.getElementById("send-now");
  sendNow.addEventListener("click", () => act(sendNow, sendWaiting));
  window.addEventListener("online", () => { showNetwork(); sendWaiting(); });
  window.addEventListener("offline", showNetwork);
  showNetwork();
  await loadChoices();
  showForm(state.form);
  await showOutbox();
  await sendWaiting();  // what waited since the last visit
}

start().catch(showError);
