// The audit page's replay: a frozen version of the district's report recomputed from the event log
// at its cut (GET .../reports/{p}/replay), shown as 复算一致 or figure by figure; and the contract
// and filed plan item behind a lineage record (lineage?contracts=true).

import { get } from "./api.js";
import { count, date, money } from "./format.js";
import { h, pagedTable, replace } from "./ui.js";
import { label } from "./vocabulary.js";

const VERSION_LABELS = { submitted: "已报送版本", approved: "已审核版本" };

// A frozen or replayed value: money and hours keep their decimals, a digest is shortened.
function shown(value) {
  if (value === null || value === undefined) return "—";
  if (typeof value === "string" && /^[0-9a-f]{64}$/.test(value)) return `${value.slice(0, 16)}…`;
  return typeof value === "string" && value.includes(".") ? money(value) : count(value);
}

function replayResult(result) {
  const towns = Object.keys(result.cut || {}).length;
  const basis = result.cut ? `按截点（${count(towns)} 个镇(街道)的已审核版本）` : `按冻结位置 ${result.position}`;
  if (result.equal) {
    return [
      h("p", { class: "verdict pass" }, "✓ 复算一致"),
      h("p", {}, `${VERSION_LABELS[result.version]}的全部数字已${basis}由事件日志重新计算，与冻结的数字逐项一致。`),
    ];
  }
  const row = (d) => h("tr", {}, h("td", { class: "mono" }, d.figure),
    h("td", { class: "num" }, shown(d.frozen)), h("td", { class: "num" }, shown(d.replayed)));
  return [
    h("p", { class: "verdict fail" }, `✗ 复算不一致：${count(result.differences.length)} 项`),
    h("p", {}, `${VERSION_LABELS[result.version]}${basis}由事件日志重新计算，以下数字与冻结的不同：`),
    pagedTable(["指标路径", "冻结值", "复算值"], result.differences, row, { size: 20, numeric: [1, 2] }),
  ];
}

export async function replay(base, period) {
  const version = document.getElementById("replay-version").value;
  replace("replay", h("div", { class: "loading" }, "正在复算…"));
  try {
    replace("replay", replayResult(await get(`${base}/reports/${period}/replay`, { version })));
  } catch (error) {
    replace("replay");
    throw error;
  }
}

// "合同：「name」 区民政部门（思明区）向 X（社会组织）竞争性磋商购买，300,000.00 元，2025-01-01 至 2025-12-31；已列入 2025 年备案计划"
export function contractLine(event) {
  const c = event.contract;
  if (!c) return event.payload.project ? h("div", { class: "note contract" }, "合同：无有效合同记录") : null;
  const purchaser = `${label("purchaser_kind", c.purchaser_kind)}（${c.purchaser.name || c.purchaser.code || "—"}）`;
  const provider = `${c.provider.name}（${label("provider_kind", c.provider.kind)}${c.provider.credit_code ? `，${c.provider.credit_code}` : ""}）`;
  const funds = c.fund_lines.map((f) => `${label("fund_source", f.source)}${f.level === "allocated" ? "(上级下达)" : ""} ${money(f.amount)}`).join("，");
  const plan = event.plan_item ? `已列入 ${event.plan_item.plan.year} 年备案计划（第 ${event.plan_item.plan.filed_version} 版）`
    : "未列入本年度备案计划";
  return h("div", { class: "note contract" },
    `合同：「${c.name}」 ${purchaser}向 ${provider}${label("procurement_method", c.method)}购买，${money(c.amount)} 元，`
    + `${date(c.term.start)} 至 ${date(c.term.end)}；资金 ${funds}；${plan}`);
}
