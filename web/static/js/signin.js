// The sign-in page: paste a token, or (development only) have the service mint one.

import { ApiError, claims, claimsOf, get, post, signIn, signOut } from "./api.js";
import { ROLE_LABELS, h, homeOf, replace, showError } from "./ui.js";

function enter(token) {
  const found = claimsOf(token);
  if (!found) throw new ApiError(0, "令牌无效", "这不是本系统签发的令牌（应为三段式 JWT）");
  if (found.exp && found.exp * 1000 < Date.now()) throw new ApiError(0, "令牌已过期", "请向管理员重新申领令牌");
  signIn(token);
  location.href = homeOf(found);
}

function showSignedIn() {
  const caller = claims();
  if (!caller) return;
  const section = replace("signed-in",
    h("h2", {}, "已登录"),
    h("p", {}, `${ROLE_LABELS[caller.role] || caller.role}`, caller.district ? ` · 区 ${caller.district}` : "",
      caller.town ? ` · 镇(街道) ${caller.town}` : ""),
    h("div", { class: "actions" },
      h("a", { class: "btn primary", href: homeOf(caller) }, "进入报表"),
      h("button", { class: "btn", onclick: signOut }, "退出")));
  section.hidden = false;
}

function option(value, text) {
  return h("option", { value }, text);
}

// The development form, if the service runs in development (elsewhere its endpoint is a 404).
async function offerDevelopmentSignIn() {
  let choices;
  try {
    choices = await get("/v1/dev/sign-in");
  } catch (error) {
    if (error.status !== 404) showError(error);
    return;
  }
  const role = document.getElementById("dev-role");
  const district = document.getElementById("dev-district");
  const town = document.getElementById("dev-town");
  role.replaceChildren(...choices.roles.map((r) => option(r, `${ROLE_LABELS[r] || r}（${r}）`)));
  district.replaceChildren(...choices.districts.map((d) => option(d.code, `${d.name}（${d.code}）`)));
  const fill = () => {
    const chosen = choices.districts.find((d) => d.code === district.value);
    town.replaceChildren(...(chosen?.towns || []).map((t) => option(t.code, `${t.name}（${t.code}）`)));
  };
  const enable = () => {
    district.disabled = !["station", "town", "district"].includes(role.value);
    town.disabled = !["station", "town"].includes(role.value);
  };
  district.addEventListener("change", fill);
  role.addEventListener("change", enable);
  role.value = "district";
  fill();
  enable();
  document.getElementById("dev-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      const minted = await post("/v1/dev/sign-in", {
        role: role.value,
        district: district.disabled ? null : district.value,
        town: town.disabled ? null : town.value,
      });
      enter(minted.token);
    } catch (error) {
      showError(error);
    }
  });
  document.getElementById("dev").hidden = false;
}

document.getElementById("token-form").addEventListener("submit", (event) => {
  event.preventDefault();
  try {
    enter(document.getElementById("token").value);
  } catch (error) {
    showError(error);
  }
});
showSignedIn();
offerDevelopmentSignIn();
