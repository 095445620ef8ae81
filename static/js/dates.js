// Dates as people in Thailand type them: day/month/year, the Buddhist-era year in Thai.
// Fields stay plain text (the server reads "15/12/2569" too); this adds one-tap choices
// ("in 1 week"), shows the date typed in words ("15 ธ.ค. 2569"), keeps the visit time behind
// "change", and gives the visit form ISO values for the outbox.
// Defines window.PwaDates (other modules load by their own versioned URLs).

const BUDDHIST_OFFSET = 543;
const FIRST_BUDDHIST_YEAR = 2400;
const THAI_DIGITS = "๐๑๒๓๔๕๖๗๘๙";
const DAY_FIRST = /^(\d{1,2})\s*[/.-]\s*(\d{1,2})\s*[/.-]\s*(\d{4})$/;
const YEAR_FIRST = /^(\d{4})-(\d{1,2})-(\d{1,2})/;
const TIME = /^(\d{1,2})[:.](\d{2})$/;

const thai = () => document.documentElement.lang === "th";
const pad = (n) => String(n).padStart(2, "0");

function clean(text) {
  return String(text ?? "").replace(/[๐-๙]/g, (digit) => THAI_DIGITS.indexOf(digit)).trim();
}

// A local date from what was typed, or null when it is no date; undefined when empty.
function readDay(text) {
  const typed = clean(text);
  if (!typed) return undefined;
  let day, month, year;
  let match = DAY_FIRST.exec(typed);
  if (match) [, day, month, year] = match.map(Number);
  else if ((match = YEAR_FIRST.exec(typed))) [, year, month, day] = match.map(Number);
  else return null;
  if (year >= FIRST_BUDDHIST_YEAR) year -= BUDDHIST_OFFSET;
  const date = new Date(year, month - 1, day);
  return date.getFullYear() === year && date.getMonth() === month - 1 && date.getDate() === day ? date : null;
}

// A local time from "30/11/2569 14:30" (or ISO), or null.
function readMoment(text) {
  const typed = clean(text);
  const cut = typed.lastIndexOf(" ");
  const time = TIME.exec(typed.slice(cut + 1));
  if (cut > 0 && time) {
    const day = readDay(typed.slice(0, cut));
    if (!day) return null;
    day.setHours(Number(time[1]), Number(time[2]));
    return Number(time[1]) < 24 && Number(time[2]) < 60 ? day : null;
  }
  const iso = new Date(typed);
  return typed && !Number.isNaN(iso.getTime()) ? iso : null;
}

// "YYYY-MM-DD" for the outbox; "" when empty; the typed text itself when it is no date
// (the server then explains what is wrong, next to the field).
function toIsoDay(text) {
  const day = readDay(text);
  if (day === undefined) return "";
  if (day === null) return String(text).trim();
  return `${day.getFullYear()}-${pad(day.getMonth() + 1)}-${pad(day.getDate())}`;
}

function toIsoMoment(text) {
  const moment = readMoment(text);
  return moment ? moment.toISOString() : String(text ?? "").trim();
}

function typedDay(date) {
  if (!date) return "";
  const year = date.getFullYear() + (thai() ? BUDDHIST_OFFSET : 0);
  return `${pad(date.getDate())}/${pad(date.getMonth() + 1)}/${year}`;
}

function typedMoment(date) {
  return date ? `${typedDay(date)} ${pad(date.getHours())}:${pad(date.getMinutes())}` : "";
}

// "15 ธ.ค. 2569" (th-TH counts years in the Buddhist era) or "15 Dec 2026".
function shownDay(date, withTime = false) {
  const options = { day: "numeric", month: "short", year: "numeric" };
  if (withTime) Object.assign(options, { hour: "2-digit", minute: "2-digit", hour12: false });
  return new Intl.DateTimeFormat(thai() ? "th-TH" : "en-GB", options).format(date);
}

function dayFromIso(iso) {
  const day = iso ? readDay(iso) : undefined;
  return day ? typedDay(day) : "";
}

function momentFromIso(iso) {
  const moment = iso ? new Date(iso) : null;
  return moment && !Number.isNaN(moment.getTime()) ? typedMoment(moment) : "";
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
  const day = new Date();
  day.setHours(0, 0, 0, 0);
  if (button.dataset.addDays) day.setDate(day.getDate() + Number(button.dataset.addDays));
  if (button.dataset.addMonths) day.setMonth(day.getMonth() + Number(button.dataset.addMonths));
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
window.PwaDates = { toIsoDay, toIsoMoment, typedDay, typedMoment, dayFromIso, momentFromIso, enhance, tuckTime, shownDay, readDay };
