// The record page opened without a network (issue 37, step 5): the dashboard's files, the vocabulary and
// the caller's towns are answered from the network when it is up (and kept), else from what was
// kept. Nothing else is kept: reports and records are never cached in the browser.

const CACHE = "stations-record-page-v1";
const PAGE = ["record.html", "css/app.css", "favicon.svg", "js/api.js", "js/format.js", "js/outbox.js",
              "js/record.js", "js/record_forms.js", "js/records.js", "js/ui.js", "js/vocabulary.js"];
const KEPT_API = ["/v1/vocabulary", "/v1/districts"];

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(PAGE)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(caches.keys()
    .then((names) => Promise.all(names.filter((n) => n !== CACHE).map((n) => caches.delete(n))))
    .then(() => self.clients.claim()));
});

function kept(url) {
  const scope = new URL(self.registration.scope);
  return url.origin === scope.origin && (url.pathname.startsWith(scope.pathname) || KEPT_API.includes(url.pathname));
}

self.addEventListener("fetch", (event) => {
  const url = new URL(event.request.url);
  if (event.request.method !== "GET" || !kept(url)) return;
  event.respondWith(fetch(event.request).then(async (response) => {
    if (response.ok) await (await caches.open(CACHE)).put(event.request, response.clone());
    return response;
  }).catch(async () => (await caches.match(event.request, { ignoreSearch: true })) || Response.error()));
});
