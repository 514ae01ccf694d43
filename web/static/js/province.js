// The province's page: the city's half-year report as the city submitted it (its figures, the
// districts' approved versions it sums, those it went without), approved or returned here.

import { ApiError, get, post } from "./api.js";
import { count, periodLabel } from "./format.js";
import { figureCards, statusBadge } from "./report.js";
import {
  act, askReason, h, header, openingPeriod, periodSelect, replace, requireCaller, setParams, showError, showSuccess,
} from "./ui.js";
import { loadVocabulary } from "./vocabulary.js";

const caller = requireCaller(["province", "city", "auditor", "admin"]);
const state = { period: null };
const cityPath = () => `/v1/city/reports/${state.period}`;

// The city's version as submitted (its status now beside it), or null before its first submission.
async function submitted() {
  try {
    return await get(cityPath(), { version: "submitted" });
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) return null;
    throw error;
  }
}

// The city's report is projected from the city's store: read again a few times until the step shows
// (as the city's page does), rather than wait on a position and risk a 503 while the worker is busy.
async function untilStatus(status) {
  for (let attempt = 0; attempt < 20; attempt += 1) {
    if ((await submitted())?.status === status) return;
    await new Promise((resolve) => setTimeout(resolve, 300));
  }
}

function button(text, kind, action, done, status) {
  const element = h("button", { class: `btn small ${kind}` }, text);
  element.addEventListener("click", () => act(element, action, async (answer) => {
    if (!answer) return;
    showSuccess(done);
    await untilStatus(status);
    await load();
  }));
  return element;
}

function actions(status) {
  if (caller.role !== "province" || status !== "submitted") return [];
  return [
    button("审核通过", "approve", () => post(`${cityPath()}/approve`), "市报表已审核通过", "approved"),
    button("退回", "return", async () => {
      const reason = await askReason("厦门市的报表");
      return reason ? post(`${cityPath()}/return`, { reason }) : null;
    }, "市报表已退回", "returned"),
  ];
}

function statusPanel(status, version) {
  return [
    h("h2", {}, `厦门市报表 · ${periodLabel(state.period)}`),
    h("div", { class: "status-line" },
      h("div", { class: "item" }, h("span", { class: "label" }, "市报表状态"), statusBadge(status)),
      version ? h("div", { class: "item" }, h("span", { class: "label" }, "报送时间"), version.frozen_at) : null,
      h("div", { class: "actions" }, actions(status))),
    version ? null : h("p", { class: "note" }, "市报表尚未报送；下列为此刻报送将汇总的数字（报送口径）。"),
    version?.incomplete_reason
      ? h("p", { class: "bad" }, `未汇总的区：${version.missing.map((d) => d.name || d.district).join("、")}；`
        + `说明：${version.incomplete_reason}`) : null,
  ];
}

function childrenTable(report) {
  const names = Object.fromEntries((report.districts || []).map((d) => [d.district, d.name]));
  if (!report.children?.length) return h("div", { class: "empty" }, "尚无已审核的区报表");
  return h("table", {},
    h("thead", {}, h("tr", {}, ["区", "版本", "冻结位置", "摘要", "检查点"].map((t) => h("th", {}, t)))),
    h("tbody", {}, report.children.map((c) => h("tr", {},
      h("td", {}, names[c.code] || c.code, h("div", { class: "note mono" }, c.code)),
      h("td", {}, c.version === "approved" ? "已审核版" : c.version),
      h("td", { class: "num" }, count(c.position)),
      h("td", { class: "mono", title: c.digest }, c.digest.slice(0, 16)),
      h("td", { class: "mono" }, c.checkpoint ? `${count(c.checkpoint.tree_size)} 条 · ${c.checkpoint.root.slice(0, 12)}` : "待签")))));
}

async function load() {
  replace("toolbar",
    h("h1", {}, "省厅审核"),
    h("label", { for: "period" }, "报告期"), periodSelect((period) => { state.period = period; setParams({ period }); load(); }));
  try {
    // The version is one row to read; the preview sums every district now, read only before a submission.
    const version = await submitted();
    const shown = version || await get(`${cityPath()}/preview`);
    replace("status", statusPanel(shown.status, version));
    replace("cards", figureCards(shown.figures));
    replace("children", childrenTable(shown));
  } catch (error) {
    showError(error);
    replace("status", h("div", { class: "empty" }, "报表无法加载"));
  }
}

async function start() {
  header(caller, "province.html");
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
