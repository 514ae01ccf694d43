// Pieces of a report shared by the district and city pages: status, timeliness, key figures,
// the export downloads.

import { download } from "./api.js";
import { count, date, money, periodLabel } from "./format.js";
import { TIMELINESS_LABELS, act, badge, h } from "./ui.js";
import { label } from "./vocabulary.js";

export function statusBadge(status) {
  return badge(status || "draft", label("report_status", status || "draft"));
}

export function timelinessBadge(timeliness) {
  if (!timeliness) return null;
  return badge(timeliness.state, TIMELINESS_LABELS[timeliness.state] || timeliness.state);
}

// "按时报送（2025-07-10 报送，截止 2025-07-15）"
export function timelinessText(timeliness) {
  if (!timeliness) return "";
  const parts = [];
  if (timeliness.submitted_on) parts.push(`${date(timeliness.submitted_on)} 报送`);
  parts.push(`截止 ${date(timeliness.deadline)}`);
  return parts.join("，");
}

// A key figure; with `traced` (a link to its lineage on the audit page) it can be opened.
export function card(labelText, value, unit, traced) {
  const content = [h("div", { class: "label" }, labelText), h("div", { class: "value" }, value, unit ? h("small", {}, unit) : null)];
  return traced
    ? h("a", { class: "card traced", href: traced, title: "查看构成此数字的事件" }, content)
    : h("div", { class: "card" }, content);
}

// `lineage(figure)` is the audit page's address for a figure's lineage, or null where the
// caller may not trace figures.
export function figureCards(figures, lineage = () => null) {
  return [
    card("服务人次", count(figures.person_times), "人次", lineage("person_times")),
    card("服务对象", count(figures.recipients), "人", lineage("recipients")),
    card("服务时长", money(figures.service_hours), "小时", lineage("service_hours")),
    card("资金支出", money(figures.funds_spent), "元", lineage("funds_spent")),
    card("站点达标", `${count(figures.stations_compliant)} / ${count(figures.stations)}`, "个"),
    card("核心 / 对接项目", `${count(figures.projects?.core)} / ${count(figures.projects?.linked)}`, "个"),
    card("督查检查", count(figures.inspections), "次", lineage("inspections")),
    card("待整改", count(figures.open_rectifications), "项"),
  ];
}

// Excel and CSV of a report (`path` without its extension), fetched with the token.
export function downloadButtons(path, name, period) {
  const button = (extension, text) => {
    const element = h("button", { class: "btn small", title: `下载${text}` }, text);
    element.addEventListener("click", () => act(element, async () => {
      try {
        await download(`${path}.${extension}`, `${name}${periodLabel(period)}.${extension}`);
      } catch (error) {
        error.title = `${text}失败：${error.title}`;
        throw error;
      }
    }));
    return element;
  };
  return h("span", { class: "actions" }, button("xlsx", "导出 Excel"), button("csv", "导出 CSV"));
}
