// The upload page: a station's, town's or district's own spreadsheet of records, checked whole by
// `POST /v1/districts/{d}/imports` (API.md, "Templates and spreadsheet uploads"); what was
// refused is laid out by sheet, row and column, what was stored counted as accepted or duplicate.

import { ApiError, chinese, download, postForm } from "./api.js";
import { count } from "./format.js";
import { formsFor } from "./record_forms.js";
import { act, h, header, replace, requireCaller, showError } from "./ui.js";
import { loadVocabulary } from "./vocabulary.js";

const caller = requireCaller(["station", "town", "district"]);

function templateButtons(forms) {
  return forms.flatMap((f) => ["xlsx", "csv"].map((extension) => {
    const button = h("button", { class: "btn small", type: "button" }, `${f.title}模板（${extension === "xlsx" ? "Excel" : "CSV"}）`);
    button.addEventListener("click", () => act(button, () => download(`/v1/templates/${f.type}.${extension}`, `${f.type}.${extension}`)));
    return button;
  }));
}

function showAnswer(answer) {
  replace("result", h("div", { class: "cards", id: "upload-answer" },
    [["表格行数", answer.rows], ["新保存", answer.accepted], ["已存在（重复）", answer.duplicate]].map(([text, value]) =>
      h("div", { class: "card" }, h("div", { class: "label" }, text), h("div", { class: "value" }, count(value))))),
    h("p", { class: "note" }, answer.duplicate === answer.rows
      ? "表格中的每一行此前都已保存，本次没有新增记录。"
      : `已保存；报表将计入新记录（日志位置 ${answer.position}）。`));
}

function showRefusal(error) {
  replace("result", h("div", { class: "message error", role: "alert" },
    h("div", { class: "title" }, error.title), error.detail ? h("div", {}, error.detail) : null),
  error.items.length ? h("div", { class: "table-wrap" }, h("table", { id: "refused" },
    h("thead", {}, h("tr", {}, ["工作表", "行", "列", "问题"].map((t) => h("th", {}, t)))),
    h("tbody", {}, error.items.map((e) => h("tr", {},
      h("td", {}, e.sheet ?? ""), h("td", { class: "num" }, e.row ?? ""), h("td", {}, e.column ?? ""),
      h("td", {}, chinese(e.detail))))))) : null);
}

async function upload(form) {
  const body = new FormData();
  body.append("file", form.querySelector("#file").files[0]);
  document.getElementById("result-panel").hidden = false;
  try {
    showAnswer(await postForm(`/v1/districts/${caller.district}/imports`, body,
      { record_type: form.querySelector("#record-type").value }));
  } catch (error) {
    if (!(error instanceof ApiError) || error.status === 0 || error.status === 401) throw error;
    showRefusal(error);
  }
}

async function start() {
  header(caller, "upload.html");
  await loadVocabulary();
  const forms = formsFor(caller.role);
  replace("templates", templateButtons(forms));
  replace("record-type", h("option", { value: "" }, "按文件名判断"), forms.map((f) => h("option", { value: f.type }, f.title)));
  const form = document.getElementById("upload-form");
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    act(form.querySelector("#upload"), () => upload(form));
  });
}

start().catch(showError);
