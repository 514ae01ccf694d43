// The project's own labels, from GET /v1/vocabulary (never copied into this code).

import { get } from "./api.js";

let groups = {};

export async function loadVocabulary() {
  groups = (await get("/v1/vocabulary")).groups;
  return groups;
}

export function label(group, code) {
  return groups[group]?.[code]?.zh ?? code;
}

export function codes(group) {
  return Object.keys(groups[group] || {});
}
