// What every page shares: building elements, the header, messages, the selectors and the state
// kept in the address (so a page can be bookmarked or reloaded as it is).

import { ApiError, claims, get, signOut } from "./api.js";
import { periodLabel, periods } from "./format.js";

// Words of the screens themselves; the wire vocabulary's labels come from /v1/vocabulary.
export const ROLE_LABELS = {
  station: "服务站", town: "镇(街道)政府", district: "区民政局", city: "市民政局", auditor: "审计人员", admin: "系统管理员",
  province: "省民政厅",
};
export const TIMELINESS_LABELS = {
  on_time: "按时报送", late: "逾期报送", overdue: "已逾期未报送", pending: "未到截止日",
};

const PAGES = [
  { href: "district.html", text: "区县报表", roles: ["station", "town", "district", "city", "auditor", "admin"] },
  { href: "record.html", text: "录入记录", roles: ["station", "town", "district"] },
  { href: "upload.html", text: "上传表格", roles: ["station", "town", "district"] },
  { href: "city.html", text: "全市汇总", roles: ["city", "auditor", "admin"] },
  { href: "audit.html", text: "审计", roles: ["district", "city", "auditor", "admin"] },
  { href: "province.html", text: "省厅审核", roles: ["province", "city", "auditor", "admin"] },
];

// h("td", {class: "num"}, "1,000"): text is always set as text, never parsed as HTML.
export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [key, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith("on")) element.addEventListener(key.slice(2), value);
    else if (key === "class") element.className = value;
    else element.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return element;
}

export function replace(id, ...children) {
  const element = document.getElementById(id);
  element.replaceChildren(...children.flat().filter((c) => c !== undefined && c !== null && c !== false));
  return element;
}

// -- the address ------------------------------------------------------------------------------

export function param(name) {
  return new URLSearchParams(location.search).get(name);
}

export function setParams(values) {
  const query = new URLSearchParams(location.search);
  for (const [key, value] of Object.entries(values)) {
    if (value) query.set(key, value);
    else query.delete(key);
  }
  history.replaceState(null, "", `${location.pathname}?${query}`);
}

// -- messages ---------------------------------------------------------------------------------

export function showError(error) {
  const known = error instanceof ApiError;
  const title = known ? error.title : "页面出错";
  const detail = known ? error.detail : String(error?.message || error);
  const box = h("div", { class: "message error", role: "alert" },
    h("button", { class: "close", title: "关闭", onclick: () => box.remove() }, "×"),
    h("div", { class: "title" }, title), detail ? h("div", {}, detail) : null,
    known && error.errors.length ? h("ul", {}, error.errors.map((e) => h("li", {}, e))) : null,
    known && error.status === 401 ? h("a", { href: "./" }, "前往登录") : null);
  document.getElementById("messages").append(box);
  if (!known) console.error(error);
}

export function showSuccess(text) {
  const box = h("div", { class: "message success", role: "status" }, text);
  document.getElementById("messages").append(box);
  setTimeout(() => box.remove(), 4000);
}

// Run an action from a button: the button waits, success or the API's error is shown.
export async function act(button, action, done) {
  button.disabled = true;
  try {
    const result = await action();
    if (done) await done(result);
  } catch (error) {
    showError(error);
  } finally {
    button.disabled = false;
  }
}

// Ask why a report is returned; resolves to the reason, or null if cancelled.
export function askReason(what, verb = "退回", placeholder = "请填写退回原因（必填）") {
  return new Promise((resolve) => {
    const text = h("textarea", { maxlength: "1000", required: true, placeholder });
    const dialog = h("dialog", {},
      h("h3", {}, `${verb}${what}`),
      h("form", { method: "dialog" }, text,
        h("div", { class: "actions" },
          h("button", { class: "btn", value: "cancel", formnovalidate: true }, "取消"),
          h("button", { class: "btn return", value: "ok" }, `确认${verb}`))));
    dialog.addEventListener("close", () => {
      const reason = text.value.trim();
      dialog.remove();
      resolve(dialog.returnValue === "ok" && reason ? reason : null);
    });
    document.body.append(dialog);
    dialog.showModal();
  });
}

// The submission's narrative (工作开展情况 / 存在问题 / 下步打算, each optional), and with `reason` a
// required reason to go without every level below approved: the body to send, or null if cancelled.
export function askNarrative(what, reason = null) {
  return new Promise((resolve) => {
    const area = (name, placeholder, required = false) =>
      h("textarea", { name, maxlength: name === "incomplete_reason" ? "1000" : "5000", placeholder, required });
    const why = reason ? area("incomplete_reason", reason, true) : null;
    const fields = [["work_done", "工作开展情况"], ["problems", "存在问题"], ["next_steps", "下步打算"]]
      .map(([name, text]) => [name, text, area(name, `${text}（选填；不得填写姓名、电话、身份证号等个人信息）`)]);
    const dialog = h("dialog", { class: "narrative-dialog" },
      h("h3", {}, `报送${what}`),
      h("form", { method: "dialog" }, why,
        fields.map(([, text, element]) => h("label", {}, text, element)),
        h("div", { class: "actions" },
          h("button", { class: "btn", value: "cancel", formnovalidate: true }, "取消"),
          h("button", { class: "btn primary", value: "ok" }, "确认报送"))));
    dialog.addEventListener("close", () => {
      dialog.remove();
      if (dialog.returnValue !== "ok") return resolve(null);
      const narrative = Object.fromEntries(fields.map(([name, , element]) => [name, element.value.trim() || null]));
      const body = Object.values(narrative).some(Boolean) ? { narrative } : {};
      if (why) body.incomplete_reason = why.value.trim();
      resolve(body);
    });
    document.body.append(dialog);
    dialog.showModal();
  });
}

// -- the header -------------------------------------------------------------------------------

// The signed-in caller, or off to the sign-in page.
export function requireCaller(allowed) {
  const caller = claims();
  if (!caller) {
    location.href = "./";
    throw new Error("not signed in");
  }
  if (allowed && !allowed.includes(caller.role)) {
    location.href = homeOf(caller);
    throw new Error("not for this role");
  }
  return caller;
}

export function homeOf(caller) {
  if (["station", "town", "district"].includes(caller.role)) return "district.html";
  if (caller.role === "auditor") return "audit.html";
  if (caller.role === "province") return "province.html";
  return "city.html";
}

export function header(caller, current) {
  const who = [ROLE_LABELS[caller.role] || caller.role, caller.district, caller.town].filter(Boolean).join(" · ");
  const bar = h("header", { class: "topbar" },
    h("div", { class: "title" }, "镇(街道)民政服务站报表"),
    h("nav", {}, PAGES.filter((p) => p.roles.includes(caller.role)).map((p) =>
      h("a", { href: p.href, class: p.href === current ? "current" : null }, p.text))),
    h("div", { class: "who", title: caller.sub }, who),
    h("button", { onclick: signOut }, "退出"));
  document.body.prepend(bar);
}

// The half year a page opens on: the address's, else the one the service chose for the caller's
// scope (the one due for reporting, or the latest with records), never an empty one by default.
export async function openingPeriod() {
  return param("period") || (await get("/v1/periods")).opening;
}

// The selector of half years, on the one in the address (each page puts its period there first).
export function periodSelect(onChange) {
  const chosen = param("period");
  const select = h("select", { id: "period", "aria-label": "报告期" },
    periods().map((p) => h("option", { value: p, selected: p === chosen }, periodLabel(p))));
  if (!periods().includes(chosen)) select.prepend(h("option", { value: chosen, selected: true }, periodLabel(chosen)));
  select.addEventListener("change", () => {
    setParams({ period: select.value });
    onChange(select.value);
  });
  return select;
}

export function districtSelect(districts, chosen, onChange) {
  const select = h("select", { id: "district", "aria-label": "区" },
    districts.map((d) => h("option", { value: d.code, selected: d.code === chosen }, `${d.name}（${d.code}）`)));
  select.addEventListener("change", () => onChange(select.value));
  return select;
}

export function badge(kind, text) {
  return h("span", { class: `badge ${kind}` }, text);
}

// A table shown a page at a time: `rows` are all the rows' data, `render` makes one <tr>.
export function pagedTable(headings, rows, render, { size = 50, numeric = [] } = {}) {
  const pages = Math.max(1, Math.ceil(rows.length / size));
  const body = h("tbody");
  const where = h("span", { class: "note" });
  const previous = h("button", { class: "btn small", type: "button" }, "上一页");
  const next = h("button", { class: "btn small", type: "button" }, "下一页");
  let page = 0;
  const show = () => {
    body.replaceChildren(...rows.slice(page * size, (page + 1) * size).map(render));
    where.textContent = `第 ${page + 1} / ${pages} 页，共 ${rows.length} 行`;
    previous.disabled = page === 0;
    next.disabled = page >= pages - 1;
  };
  previous.addEventListener("click", () => { page -= 1; show(); });
  next.addEventListener("click", () => { page += 1; show(); });
  show();
  return h("div", {},
    h("div", { class: "table-wrap" }, h("table", {},
      h("thead", {}, h("tr", {}, headings.map((t, i) => h("th", { class: numeric.includes(i) ? "num" : null }, t)))), body)),
    pages > 1 ? h("div", { class: "actions pager" }, previous, where, next) : null);
}
