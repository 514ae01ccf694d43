// The forms of the record page: each record type's fields (API.md, "Writing: records"), drawn
// from the vocabulary's Chinese labels, and read back into the record as the API takes it.

import { todayInCst } from "./format.js";
import { h } from "./ui.js";
import { codes, label } from "./vocabulary.js";

// Who may write each type (API.md, "Roles and duties"): its owner, or a level above up to the district.
const BY_STATION = ["station", "town", "district"];
const BY_TOWN = ["town", "district"];

export const FORMS = [
  { type: "service_delivered", title: "服务提供", prefix: "svc", roles: BY_STATION, dated: "occurred_on", fields: [
    { name: "occurred_on", label: "服务日期", kind: "date" },
    { name: "domain", label: "服务领域", kind: "select", group: "service_domain" },
    { name: "service_type", label: "服务方式", kind: "select", group: "service_type" },
    { name: "recipient_category", label: "服务对象类别", kind: "select", group: "recipient_category" },
    { name: "recipient_ref", label: "服务对象编号", kind: "text", pattern: "[A-Za-z0-9][A-Za-z0-9._:\\-]{3,63}",
      hint: "假名化编号（如 R-7f3a9c21），不得填写姓名、身份证号或手机号" },
    { name: "person_times", label: "服务人次", kind: "int", value: "1" },
    { name: "hours", label: "服务时长（小时）", kind: "decimal", hint: "最多两位小数，如 1.5" },
    { name: "village", label: "村(社区)", kind: "text", optional: true },
    { name: "project", label: "所属项目", kind: "project", optional: true },
  ] },
  { type: "progress_reported", title: "进展报告", prefix: "prg", roles: BY_STATION, dated: "reported_on", fields: [
    { name: "reported_on", label: "报告日期", kind: "date" },
    { name: "project", label: "所属项目", kind: "project", optional: true },
    { name: "summary", label: "进展情况", kind: "textarea" },
  ] },
  { type: "rectification_done", title: "整改完成", prefix: "rect", roles: BY_STATION, dated: "occurred_on", fields: [
    { name: "inspection", label: "所整改的检查", kind: "inspection",
      hint: "选择本镇(街道)的检查记录，或填写其记录编号" },
    { name: "occurred_on", label: "整改完成日期", kind: "date" },
    { name: "note", label: "整改情况", kind: "textarea" },
  ] },
  { type: "station_established", title: "站点设立", prefix: "stn", roles: BY_TOWN, dated: "established_on", fields: [
    { name: "host_facility", label: "依托设施", kind: "select", group: "host_facility" },
    { name: "address", label: "地址", kind: "text" },
    { name: "established_on", label: "设立日期", kind: "date" },
  ] },
  { type: "inspection_done", title: "督查检查", prefix: "insp", roles: BY_TOWN, dated: "occurred_on", fields: [
    { name: "occurred_on", label: "检查日期", kind: "date" },
    { name: "kind", label: "检查类型", kind: "select", group: "inspection_kind" },
    { name: "scopes", label: "检查内容", kind: "checks", group: "inspection_scope" },
    { name: "findings", label: "检查发现", kind: "textarea" },
    { name: "issues_found", label: "发现问题", kind: "bool" },
    { name: "rectification_due", label: "整改期限", kind: "date", optional: true, future: true },
    { name: "project", label: "所属项目", kind: "project", optional: true },
  ] },
];

export function formsFor(role) {
  return FORMS.filter((f) => f.roles.includes(role));
}

const inputId = (field) => `f-${field.name}`;

function control(field, choices) {
  const common = { id: inputId(field), name: field.name, required: !field.optional };
  switch (field.kind) {
    case "select":
      return h("select", common, h("option", { value: "" }, "请选择"),
        codes(field.group).map((code) => h("option", { value: code }, label(field.group, code))));
    case "project":
      return h("select", common, h("option", { value: "" }, "（不属于项目）"),
        choices.projects.map((p) => h("option", { value: p.project }, `${p.name}（${p.project}）`)));
    case "inspection":
      return h("span", { class: "field-with-list" },
        h("input", { ...common, type: "text", list: "inspections", autocomplete: "off" }),
        h("datalist", { id: "inspections" }, choices.inspections.map((i) => h("option", { value: i.id }, i.text))));
    case "checks":
      return h("span", { class: "checks", id: inputId(field) }, codes(field.group).map((code) =>
        h("label", {}, h("input", { type: "checkbox", name: field.name, value: code }), label(field.group, code))));
    case "bool":
      return h("input", { ...common, type: "checkbox", required: false });
    case "date":
      return h("input", { ...common, type: "date", value: field.optional ? null : todayInCst(),
                          max: field.future ? null : todayInCst() });
    case "textarea":
      return h("textarea", { ...common, maxlength: "5000", rows: "3" });
    case "int":
      return h("input", { ...common, type: "number", min: "1", step: "1", value: field.value });
    case "decimal":
      return h("input", { ...common, type: "text", inputmode: "decimal", pattern: "[0-9]{1,6}(\\.[0-9]{1,2})?" });
    default:
      return h("input", { ...common, type: "text", pattern: field.pattern, maxlength: "300" });
  }
}

// The form's rows; `choices` holds the town's projects and inspections to pick from.
export function formRows(form, choices) {
  return form.fields.map((field) => h("div", { class: "form-row" },
    h("label", { for: inputId(field) }, field.label, field.optional ? h("small", {}, "（选填）") : null),
    control(field, choices),
    field.hint ? h("span", { class: "note" }, field.hint) : null));
}

// The record's fields as the API takes them: blanks of optional fields left out, counts as
// numbers, hours and dates as the text typed (never through a float).
export function readFields(form, element) {
  const fields = {};
  for (const field of form.fields) {
    if (field.kind === "checks") {
      fields[field.name] = [...element.querySelectorAll(`input[name=${field.name}]:checked`)].map((c) => c.value);
      continue;
    }
    const input = element.querySelector(`#${inputId(field)}`);
    if (field.kind === "bool") {
      fields[field.name] = input.checked;
      continue;
    }
    const value = input.value.trim();
    if (value === "" && field.optional) continue;
    fields[field.name] = field.kind === "int" ? Number(value) : value;
  }
  return fields;
}
