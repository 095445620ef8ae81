// Dates as people in Thailand type them: day/month/year, the Buddhist-era year in Thai.
// Fields stay plain text (the server reads "15/12/2569" too); this adds one-tap choices
// ("in 1 week"), shows the date typed in words ("15 ธ.ค. 2569"), keeps the visit time behind
// "change", and gives the visit form ISO values for the outbox.
// Defines window.PwaDates (other modules load by their own versioned URLs).

const BUDDHIST_OFFSET = 543;
const FIRST_BUDDHIST_YEAR = 2400;
const THAI_DIGITS = "๐๑๒๓๔๕๖๗๘๙";
// Times are Thailand's, whatever zone the phone is set to (the server reads them so too).
const TIME_ZONE = "Asia/Bangkok";
const OFFSET = "+07:00";
const DAY_FIRST = /^(\d{1,2})\s*[/.-]\s*(\d{1,2})\s*[/.-]\s*(\d{4})$/;
const YEAR_FIRST = /^(\d{4})-(\d{1,2})-(\d{1,2})$/;
const ISO_MOMENT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})?$/;
const TIME = /^(\d{1,2})[:.](\d{2})$/;

const thai = () => document.documentElement.lang === "th";
const pad = (n) => String(n).padStart(2, "0");

function clean(text) {
  return String(text ?? "").replace(/[๐-๙]/g, (digit) => THAI_DIGITS.indexOf(digit)).trim();
}

function realDay(year, month, day) {
  const date = new Date(Date.UTC(year, month - 1, day));
  return date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
}

// {year, month, day, hour, minute} of a moment in Thailand (default: now).
function thaiParts(moment = new Date()) {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat("en-GB", {
      timeZone: TIME_ZONE, year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", hourCycle: "h23",
    }).formatToParts(moment).map((part) => [part.type, Number(part.value)]),
  );
  return { year: parts.year, month: parts.month, day: parts.day, hour: parts.hour, minute: parts.minute };
}

// The day typed ({year, month, day}), null when it is no day, undefined when empty.
function readDay(text) {
  const typed = clean(text);
  if (!typed) return undefined;
  let day, month, year;
  let match = DAY_FIRST.exec(typed);
  if (match) [, day, month, year] = match.map(Number);
  else if ((match = YEAR_FIRST.exec(typed.slice(0, 10)))) [, year, month, day] = match.map(Number);
  else return null;
  if (year >= FIRST_BUDDHIST_YEAR) year -= BUDDHIST_OFFSET;
  return realDay(year, month, day) ? { year, month, day } : null;
}

// The time typed ("30/11/2569 14:30", or an ISO time from the outbox), in Thailand; or null.
function readMoment(text) {
  const typed = clean(text);
  if (ISO_MOMENT.test(typed)) {
    if (/(Z|[+-]\d{2}:\d{2})$/.test(typed)) return thaiParts(new Date(typed));
    const [day, time] = typed.split("T");
    const [hour, minute] = time.split(":").map(Number);
    return { ...readDay(day), hour, minute };
  }
  const cut = typed.lastIndexOf(" ");
  const time = TIME.exec(typed.slice(cut + 1));
  if (cut <= 0 || !time) return null;
  const day = readDay(typed.slice(0, cut));
  const [hour, minute] = [Number(time[1]), Number(time[2])];
  return day && hour < 24 && minute < 60 ? { ...day, hour, minute } : null;
}

function isoDay(day) {
  return `${day.year}-${pad(day.month)}-${pad(day.day)}`;
}

// "YYYY-MM-DD" for the outbox; "" when empty; the typed text itself when it is no date
// (the server then explains what is wrong, next to the field).
function toIsoDay(text) {
  const day = readDay(text);
  if (day === undefined) return "";
  return day === null ? String(text).trim() : isoDay(day);
}

// An ISO time with Thailand's offset, as the volunteer meant it.
function toIsoMoment(text) {
  const moment = readMoment(text);
  return moment ? `${isoDay(moment)}T${pad(moment.hour)}:${pad(moment.minute)}:00${OFFSET}` : String(text ?? "").trim();
}

function typedDay(day) {
  if (!day) return "";
  return `${pad(day.day)}/${pad(day.month)}/${day.year + (thai() ? BUDDHIST_OFFSET : 0)}`;
}

function typedMoment(moment) {
  return moment ? `${typedDay(moment)} ${pad(moment.hour)}:${pad(moment.minute)}` : "";
}

// Now in Thailand, as typed into the visit time.
function nowTyped() {
  return typedMoment(thaiParts());
}

// "15 ธ.ค. 2569" (th-TH counts years in the Buddhist era) or "15 Dec 2026".
function shownDay(parts, withTime = false) {
  const options = { day: "numeric", month: "short", year: "numeric", timeZone: "UTC" };
  if (withTime) Object.assign(options, { hour: "2-digit", minute: "2-digit", hourCycle: "h23" });
  const moment = new Date(Date.UTC(parts.year, parts.month - 1, parts.day, parts.hour || 0, parts.minute || 0));
  return new Intl.DateTimeFormat(thai() ? "th-TH" : "en-GB", options).format(moment);
}

function dayFromIso(iso) {
  const day = iso ? readDay(iso) : undefined;
  return day ? typedDay(day) : "";
}

function momentFromIso(iso) {
  const moment = iso ? readMoment(iso) : null;
  return moment ? typedMoment(moment) : "";
}

// Today in Thailand and some days or months on ("in 1 month" from 31 January: 28/29 February).
function daysFromToday({ days = 0, months = 0 }) {
  const today = thaiParts();
  const first = new Date(Date.UTC(today.year, today.month - 1 + months, 1));
  const last = new Date(Date.UTC(first.getUTCFullYear(), first.getUTCMonth() + 1, 0)).getUTCDate();
  const moment = new Date(Date.UTC(first.getUTCFullYear(), first.getUTCMonth(), Math.min(today.day, last) + days));
  return { year: moment.getUTCFullYear(), month: moment.getUTCMonth() + 1, day: moment.getUTCDate() };
}

function strings() {
  return JSON.parse(document.getElementById("js-strings")?.textContent || "{}");
}

function showDay(field) {
  const input = field.querySelector("[data-day-input]");
  const shown = field.querySelector("[data-day-shown]");
  if (!input || !shown) return;
  const day = readDay(input.value);
  shown.textContent = day ? shownDay(day) : day === null ? strings().date_unreadable || "" : "";
  shown.classList.toggle("is-unreadable", day === null);
}

function quickChoice(button) {
  const field = button.closest("[data-day-field]");
  const day = daysFromToday({ days: Number(button.dataset.addDays || 0), months: Number(button.dataset.addMonths || 0) });
  const input = field.querySelector("[data-day-input]");
  input.value = typedDay(day);
  field.querySelectorAll("[data-add-days], [data-add-months]").forEach((other) => {
    other.setAttribute("aria-pressed", String(other === button));
  });
  showDay(field);
}

// The visit time is "now" unless the volunteer says otherwise: a line and a "change" button
// instead of a field to get wrong. A form that came back with an error keeps the field open.
function tuckTime(root) {
  const when = root.querySelector("[data-when]");
  if (!when || when.querySelector(".has-error")) return;
  const input = when.querySelector("[data-moment-input]");
  const moment = readMoment(input?.value);
  if (!moment) return;
  when.querySelector("[data-when-text]").textContent = shownDay(moment, true);
  when.querySelector("[data-when-summary]").hidden = false;
  when.querySelector("[data-when-field]").hidden = true;
  when.querySelector("[data-when-change]").setAttribute("aria-expanded", "false");
}

function openTime(button) {
  const when = button.closest("[data-when]");
  when.querySelector("[data-when-field]").hidden = false;
  when.querySelector("[data-when-summary]").hidden = true;
  button.setAttribute("aria-expanded", "true");
  when.querySelector("[data-moment-input]")?.focus();
}

// Show the choices and the words for every date field under root (new entries call it too).
function enhance(root = document) {
  root.querySelectorAll("[data-quick-days]").forEach((group) => { group.hidden = false; });
  root.querySelectorAll("[data-day-field]").forEach(showDay);
}

document.addEventListener("click", (event) => {
  const quick = event.target.closest("[data-add-days], [data-add-months]");
  if (quick) quickChoice(quick);
  const change = event.target.closest("[data-when-change]");
  if (change) openTime(change);
});
document.addEventListener("input", (event) => {
  const field = event.target.closest?.("[data-day-field]");
  if (field) showDay(field);
});

enhance();
window.PwaDates = {
  toIsoDay, toIsoMoment, typedDay, typedMoment, nowTyped, dayFromIso, momentFromIso, enhance, tuckTime, shownDay, readDay, TIME_ZONE,
};
