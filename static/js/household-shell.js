// A household's page drawn from the phone's list: what the service worker shows, with no
// signal, for a household whose own page was never opened. Read-only; the big button opens
// the visit form, which also works offline.

const root = document.querySelector("[data-household-shell]");
const LABELS = JSON.parse(document.getElementById("household-labels")?.textContent || "{}");

function part(name) {
  return root.querySelector(`[data-shell-${name}]`);
}

// Dates as the server writes them: the Buddhist-era year in Thai.
// A day ("2026-12-15") is that day anywhere; a moment is shown as Thailand's.
function formatDay(value) {
  const dayOnly = /^\d{4}-\d{2}-\d{2}$/.test(String(value));
  const date = new Date(dayOnly ? `${value}T00:00:00Z` : value);
  if (Number.isNaN(date.getTime())) return String(value);
  const thai = document.documentElement.lang === "th";
  const locale = thai ? "th-TH-u-ca-buddhist" : "en-US";
  const timeZone = dayOnly ? "UTC" : "Asia/Bangkok";
  return date.toLocaleDateString(locale, { day: "numeric", month: "short", year: "numeric", timeZone });
}

// The code the address names: /households/<code> as the worker served it, or ?household=.
function requestedCode() {
  const path = window.location.pathname.match(/^\/households\/([^/]+)$/);
  const reference = path && path[1] !== "shell" ? decodeURIComponent(path[1]) : "";
  return reference || new URLSearchParams(window.location.search).get("household") || "";
}

function chip(text) {
  const span = document.createElement("span");
  span.className = "chip";
  span.textContent = text;
  return span;
}

// Open cases as the phone's list carries them (GET /api/v1/households): {program,
// program_name: {th, en}, member, status, next_follow_up, next_step: {th, en}}.
function inLanguage(texts) {
  if (!texts || typeof texts === "string") return texts || "";
  return texts[document.documentElement.lang] || texts.th || texts.en || "";
}

function caseRow(entry) {
  const item = document.createElement("li");
  item.className = "row shell-case";
  const title = document.createElement("span");
  title.className = "row-title";
  const program = inLanguage(entry.program_name) || LABELS.programs?.[entry.program] || entry.program || "";
  const member = entry.member_name || entry.member?.name || (typeof entry.member === "string" ? entry.member : "");
  title.textContent = member ? `${program} · ${member}` : program;
  title.append(" ", chip(LABELS.statuses?.[entry.status] || entry.status || ""));
  if (entry.pending) title.append(" ", chip(window.PwaApp?.t("case_pending") || ""));
  item.append(title);
  if (entry.next_follow_up) {
    const meta = document.createElement("span");
    meta.className = "row-meta";
    meta.textContent = `${root.dataset.msgFollowUp}: ${formatDay(entry.next_follow_up)}`;
    item.append(meta);
  }
  return item;
}

function show(household) {
  part("code").textContent = household.code;
  part("name").textContent = household.head_name || "";
  part("village").textContent = LABELS.villages?.[household.village] || household.village || "";
  part("tags").replaceChildren(...(household.tags || []).map((tag) => chip(LABELS.tags?.[tag] || tag)));
  part("last-visit").textContent = household.last_visit_at
    ? `${root.dataset.msgLastVisit} ${formatDay(household.last_visit_at)}`
    : root.dataset.msgNever;
  part("visit").href = `/visits/new?household=${encodeURIComponent(household.code)}`;
  const cases = Array.isArray(household.open_cases) ? household.open_cases : [];
  part("case-list").replaceChildren(...cases.map(caseRow));
  part("cases").hidden = cases.length === 0;
  part("household").hidden = false;
  const pending = document.querySelector("[data-pending-visits]");
  if (pending) {
    pending.dataset.household = household.code;
    window.PwaApp?.refreshBadge();
  }
  document.title = `${household.code} · ${document.title}`;
}

async function start() {
  // No waiting for the app's start (it may be sending over a weak signal): the list is here.
  const app = window.PwaApp;
  const reference = requestedCode();
  const household = app?.userId != null && reference
    ? await app.Outbox.findHousehold(app.userId, reference).catch(() => null)
    : null;
  if (!household) {
    root.dataset.shellState = "missing";
    if (!reference) return; // the page itself, opened as it is kept: nothing to look up
    const missing = part("missing");
    const code = app?.Outbox.normalizeCode(reference) || reference;
    missing.textContent = app?.t("not_in_list", { code }) || code;
    missing.hidden = false;
    return;
  }
  // A sloppy code in the address becomes the household's own, as the server would redirect.
  const canonical = `/households/${encodeURIComponent(household.code)}`;
  if (window.location.pathname !== canonical && window.location.pathname !== "/households/shell") {
    window.history.replaceState(null, "", canonical);
  }
  // Its cases as the visits still on this phone leave them.
  household.open_cases = await app.Outbox.casesAfterWaiting(app.userId, household, LABELS.closed || []);
  show(household);
  root.dataset.shellState = "shown";
}

if (root) start();
