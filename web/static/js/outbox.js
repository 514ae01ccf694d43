// Records kept in this browser (IndexedDB) until the service has them: made offline, or when a
// POST failed on the network, they wait with the id they were given and are sent when the network
// returns. Sending one twice is harmless: the API answers `duplicate` for an id it already holds.

import { ApiError, post } from "./api.js";

const DATABASE = "stations.outbox";
const STORE = "records";

export const WAITING = "waiting";
export const SENT = "sent";
export const REFUSED = "refused";

// Base32 (RFC 4648, lower case): letters and the digits 2-7 only. Without 0, 1, 8 and 9, and with
// never more than 3 digits in a row, no part of an id can read as a mobile or resident ID number.
const LETTERS = "abcdefghijklmnopqrstuvwxyz";
const ALPHABET = `${LETTERS}234567`;
const MAX_DIGIT_RUN = 3;

// getRandomValues rather than randomUUID: an intranet served over plain http is no secure context.
export function newRecordId(prefix, length = 20) {
  const bytes = crypto.getRandomValues(new Uint8Array(length));
  let text = "";
  let digits = 0;
  for (const byte of bytes) {
    const letterOnly = digits >= MAX_DIGIT_RUN;
    const next = letterOnly ? LETTERS[byte % LETTERS.length] : ALPHABET[byte % ALPHABET.length];
    digits = /[0-9]/.test(next) ? digits + 1 : 0;
    text += next;
  }
  return `${prefix}-${text}`;
}

function open() {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(DATABASE, 1);
    request.onupgradeneeded = () => request.result.createObjectStore(STORE, { keyPath: "id" });
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

async function inStore(mode, action) {
  const database = await open();
  try {
    return await new Promise((resolve, reject) => {
      const transaction = database.transaction(STORE, mode);
      const request = action(transaction.objectStore(STORE));
      transaction.oncomplete = () => resolve(request.result);
      transaction.onerror = () => reject(transaction.error);
    });
  } finally {
    database.close();
  }
}

export function keep(entry) {
  return inStore("readwrite", (store) => store.put(entry));
}

export function forget(id) {
  return inStore("readwrite", (store) => store.delete(id));
}

// The entries the signed-in person made in this district, newest first: another person's waiting
// records on a shared tablet are theirs to send, under their own name.
export async function entries(caller, district) {
  const all = await inStore("readonly", (store) => store.getAll());
  return all.filter((e) => e.sub === caller.sub && e.district === district)
    .sort((a, b) => b.made_at.localeCompare(a.made_at));
}

// A new entry for a record (its own town kept beside it: a rectification names none).
export function entryOf(caller, district, town, record) {
  return { id: record.id, sub: caller.sub, district, town, record, status: WAITING, made_at: new Date().toISOString() };
}

// Send one entry (one POST each: a batch is atomic, and one refused record must not hold back the
// others). Answers the entry as it now is; while the network is down it stays waiting. A refusal
// keeps the entry, marked refused with the reason, and is rethrown for the page to show.
export async function send(entry) {
  if (!navigator.onLine) return entry;
  let answer;
  try {
    answer = await post(`/v1/districts/${entry.district}/records`, { records: [entry.record] });
  } catch (error) {
    if (error instanceof ApiError && error.status === 0) return entry;
    const reason = error instanceof ApiError ? [error.title, error.detail, ...error.errors].filter(Boolean).join("：") : String(error);
    await keep({ ...entry, status: REFUSED, reason });
    throw error;
  }
  const [result] = answer.results;
  const sent = { ...entry, status: SENT, result: result.status, position: answer.position, sent_at: new Date().toISOString() };
  await keep(sent);
  return sent;
}
