// Numbers, money, periods and times as people in Xiamen read them. Money and hours arrive as
// exact decimal strings and are grouped as strings: never through a float.

const CST = "Asia/Shanghai";

// "1234567.5" -> "1,234,567.50"
export function decimal(value, places = 2) {
  const text = String(value ?? "0").trim();
  const negative = text.startsWith("-");
  const [whole, fraction = ""] = text.replace(/^[-+]/, "").split(".");
  const grouped = (whole || "0").replace(/^0+(?=\d)/, "").replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  const cents = places > 0 ? `.${fraction.padEnd(places, "0").slice(0, places)}` : "";
  return `${negative ? "-" : ""}${grouped}${cents}`;
}

export function money(value) {
  return decimal(value, 2);
}

export function count(value) {
  return decimal(String(value ?? 0), 0);
}

// A decimal string as a number, for chart heights only (never for sums or display).
export function plot(value) {
  return Number(value ?? 0);
}

export function periodLabel(period) {
  const match = /^(\d{4})H([12])$/.exec(period || "");
  return match ? `${match[1]}年${match[2] === "1" ? "上" : "下"}半年` : period;
}

export function monthLabel(month) {
  const match = /^(\d{4})-(\d{2})$/.exec(month || "");
  return match ? `${Number(match[2])}月` : month;
}

function partsInCst(moment) {
  const parts = new Intl.DateTimeFormat("en-CA", {
    timeZone: CST, year: "numeric", month: "2-digit", day: "2-digit",
    hour: "2-digit", minute: "2-digit", second: "2-digit", hourCycle: "h23",
  }).formatToParts(moment);
  return Object.fromEntries(parts.map((p) => [p.type, p.value]));
}

export function todayInCst() {
  const p = partsInCst(new Date());
  return `${p.year}-${p.month}-${p.day}`;
}

// "2025-07-10T09:00:00+08:00" -> "2025-07-10 09:00:00" (China Standard Time)
export function dateTime(iso) {
  if (!iso) return "";
  const moment = new Date(iso);
  if (Number.isNaN(moment.getTime())) return iso;
  const p = partsInCst(moment);
  return `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}:${p.second}`;
}

export function date(iso) {
  return iso ? String(iso).slice(0, 10) : "";
}

// The half years to choose from: from 2024's first to the current one, newest first.
export function periods(first = 2024) {
  const today = todayInCst();
  const year = Number(today.slice(0, 4));
  const half = Number(today.slice(5, 7)) <= 6 ? 1 : 2;
  const found = [];
  for (let y = year; y >= first; y -= 1) {
    for (const h of [2, 1]) {
      if (y === year && h > half) continue;
      found.push(`${y}H${h}`);
    }
  }
  return found;
}
