// Talking to the service's JSON API with the signed-in token, and turning its problem+json
// answers into messages in Chinese.

const TOKEN_KEY = "stations.token";

export function token() {
  return sessionStorage.getItem(TOKEN_KEY);
}

export function signIn(value) {
  sessionStorage.setItem(TOKEN_KEY, value.trim());
}

export function signOut() {
  sessionStorage.removeItem(TOKEN_KEY);
  location.href = "./";
}

function base64UrlJson(part) {
  const base64 = part.replace(/-/g, "+").replace(/_/g, "/").padEnd(Math.ceil(part.length / 4) * 4, "=");
  const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
  return JSON.parse(new TextDecoder().decode(bytes));
}

// The token's claims, read (not verified: the service verifies) to choose what the screens show.
export function claimsOf(value) {
  const parts = (value || "").trim().split(".");
  if (parts.length !== 3) return null;
  try {
    const claims = base64UrlJson(parts[1]);
    return typeof claims.role === "string" ? claims : null;
  } catch {
    return null;
  }
}

export function claims() {
  const found = claimsOf(token());
  if (!found || (found.exp && found.exp * 1000 < Date.now())) return null;
  return found;
}

// The Chinese half of a bilingual "中文 / English" text of the API.
export function chinese(text) {
  return String(text ?? "").split(" / ")[0];
}

export class ApiError extends Error {
  constructor(status, title, detail, errors = [], items = []) {
    super(`${title}：${detail}`);
    this.status = status;
    this.title = title;
    this.detail = detail;
    this.errors = errors;
    this.items = items;  // the problem's `errors` as sent, for a page that lays them out itself
  }
}

async function errorOf(response) {
  const type = response.headers.get("content-type") || "";
  if (type.includes("json")) {
    const problem = await response.json().catch(() => ({}));
    if (problem.title || problem.detail) {
      const errors = (problem.errors || []).map((e) =>
        [e.record != null ? `第 ${e.record} 条` : "", e.field || "", chinese(e.detail)].filter(Boolean).join(" "));
      const title = chinese(problem.title);
      const detail = chinese(problem.detail);
      return new ApiError(response.status, title, detail === title ? "" : detail, errors, problem.errors || []);
    }
  }
  const titles = { 401: "未认证", 403: "无权操作", 404: "未找到", 502: "网关错误", 503: "暂不可用", 504: "网关超时" };
  return new ApiError(response.status, titles[response.status] || `错误 ${response.status}`, "服务返回了意外的答复");
}

function url(path, params) {
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries(params || {})) {
    if (value !== undefined && value !== null && value !== "") query.set(key, value);
  }
  const text = query.toString();
  return text ? `${path}?${text}` : path;
}

// `body` is sent as JSON; `form` (FormData) as multipart, its boundary set by the browser.
async function send(path, { method = "GET", params, body, form } = {}) {
  const headers = { Accept: "application/json, application/problem+json" };
  const bearer = token();
  if (bearer) headers.Authorization = `Bearer ${bearer}`;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  let response;
  try {
    response = await fetch(url(path, params), {
      method, headers, body: form ?? (body === undefined ? undefined : JSON.stringify(body)),
    });
  } catch {
    throw new ApiError(0, "无法连接服务", "请检查网络连接后重试");
  }
  if (!response.ok) {
    const error = await errorOf(response);
    if (response.status === 401) error.detail = `${error.detail}。请重新登录。`;
    throw error;
  }
  return response;
}

export async function get(path, params) {
  return (await send(path, { params })).json();
}

export async function post(path, body) {
  return (await send(path, { method: "POST", body })).json();
}

export async function postForm(path, form, params) {
  return (await send(path, { method: "POST", form, params })).json();
}

// Fetch a file with the token (a plain link cannot carry it) and save it under its name.
export async function download(path, fallbackName) {
  const response = await send(path);
  const disposition = response.headers.get("content-disposition") || "";
  const encoded = /filename\*=UTF-8''([^;]+)/i.exec(disposition);
  const plain = /filename="?([^";]+)"?/i.exec(disposition);
  const name = encoded ? decodeURIComponent(encoded[1]) : plain ? plain[1] : fallbackName;
  const link = document.createElement("a");
  link.href = URL.createObjectURL(await response.blob());
  link.download = name;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(link.href), 1000);
}
