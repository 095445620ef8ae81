// Page-wide behaviour: the service worker, the outbox badge and its triggers, the offline
// household list, confirmations and print buttons. Feature pages have their own modules
// and use what this one offers through window.PwaApp.

const Outbox = window.PwaOutbox;
// Every page's sentences, and those a page carries for its own parts (photos: the picker, the outbox).
const STRINGS = Object.assign(
  {},
  ...[...document.querySelectorAll("#js-strings, script[data-js-strings]")].map((node) => JSON.parse(node.textContent || "{}")),
);
const userId = Number(document.querySelector('meta[name="user-id"]')?.content) || null;
const csrf = document.querySelector('meta[name="csrf-token"]')?.content;
const PAGES_CACHE = "pages-v1";
const SHELL_PAGES = ["/", "/scan", "/outbox", "/households"];
// The rest of the offline kit (the forms and pages drawn from the phone's list): fetched once
// the app is ready, in the background, with the scripts they load, so that a first load on
// one bar of signal carries only what the first screen needs.
const LATER_PAGES = [
  "/visits/new?shell=1", "/households/shell", "/messages/new?shell=1", "/encounters/new?shell=1",
];
const PREFETCH_HEADERS = { "X-Prefetch": "later" }; // tells the server's meters what this is
const SHELL_REFRESH_MS = 60 * 60 * 1000;
const HOUSEHOLDS_REFRESH_MS = 5 * 60 * 1000;
const RETRY_EVERY_MS = 30 * 1000;
// Every request has a deadline (one bar of signal must not hold anything for ever).
const PAGE_TIMEOUT_MS = 20000;
const HOUSEHOLDS_TIMEOUT_MS = 30000;
const TIME_ZONE = "Asia/Bangkok"; // times are shown as Thailand's, whatever the phone's zone
const COPY_AFTER_MS = 2 * 60 * 1000; // a page rendered longer ago than this is a saved copy
const IDLE_AFTER_MS = 5000;

function t(key, values = {}) {
  return (STRINGS[key] || key).replace(/\{(\w+)\}/g, (_, name) => values[name] ?? "");
}

function flashNext(message) {
  sessionStorage.setItem("flash", message);
}

function showFlash() {
  const message = sessionStorage.getItem("flash");
  if (!message) return;
  sessionStorage.removeItem("flash");
  const box = document.createElement("div");
  box.className = "alert alert-ok";
  box.setAttribute("role", "status");
  box.textContent = message;
  document.getElementById("main")?.prepend(box);
}

// The badge carries the outbox's state for styles and scripts: data-outbox-state is
// "sending" while a send runs, then "waiting" (visits wait for a later try) or "idle"
// (nothing to send); data-outbox-waiting counts the waiting visits.
let sends = 0;

function badgeElement() {
  return userId == null || !Outbox ? null : document.querySelector("[data-outbox-badge]");
}

async function refreshBadge() {
  const badge = badgeElement();
  if (!badge) return;
  // (An item the server has, whose photos still wait, is not safe yet: it counts.)
  const { waiting, rejected, total } = await Outbox.tally(userId);
  const state = sends ? "sending" : waiting ? "waiting" : "idle";
  badge.hidden = total === 0;
  badge.classList.toggle("has-rejected", rejected > 0);
  badge.textContent = rejected ? t("badge_rejected", { n: total, r: rejected }) : t("badge_waiting", { n: waiting });
  Object.assign(badge.dataset, { outboxState: state, outboxWaiting: waiting });
  await showPendingVisits();
  document.dispatchEvent(new CustomEvent("outbox:changed", { detail: { waiting, rejected, state } }));
}

// A household's page lists its visits still on this phone: saved, not yet on the server.
async function showPendingVisits() {
  const holder = document.querySelector("[data-pending-visits]");
  if (!holder || userId == null) return;
  const code = holder.dataset.household;
  const mine = (await Outbox.entries(userId)).filter(
    (entry) => Outbox.kindOf(entry) === "visit" && entry.payload.household === code,
  );
  holder.hidden = mine.length === 0;
  const list = holder.querySelector("ul");
  list.replaceChildren(...mine.map((entry) => {
    const item = document.createElement("li");
    item.className = `outbox-entry status-${entry.status}`;
    const when = new Date(entry.payload.visited_at || entry.created_at);
    const shown = Number.isNaN(when.getTime()) ? "" : when.toLocaleString(document.documentElement.lang === "th" ? "th-TH" : "en-GB", {
      day: "numeric", month: "short", year: "numeric", hour: "2-digit", minute: "2-digit", timeZone: TIME_ZONE,
    });
    item.textContent = `${shown} · ${t(entry.status === "rejected" ? "pending_rejected" : "pending_waiting")}`;
    return item;
  }));
}

// Send what waits. Every send ends with "outbox:settled", whose detail is the summary
// ({state, sent, rejected, results}), whoever started it: a button, the signal, a timer.
async function syncNow(options = {}) {
  if (!Outbox || userId == null) return { state: "login" };
  sends += 1;
  const badge = badgeElement();
  if (badge) badge.dataset.outboxState = "sending";
  let summary;
  try {
    summary = await Outbox.sync(options);
  } finally {
    sends -= 1;
    await refreshBadge();
  }
  if (summary.state === "login") showLoginNeeded();
  document.dispatchEvent(new CustomEvent("outbox:settled", { detail: summary }));
  return summary;
}

function showLoginNeeded() {
  if (document.querySelector("[data-login-needed]")) return;
  const box = document.createElement("div");
  box.className = "alert alert-warning";
  box.dataset.loginNeeded = "";
  box.innerHTML = `<p></p><p><a class="button" href="/login?next=/outbox"></a></p>`;
  box.querySelector("p").textContent = t("login_needed");
  box.querySelector("a").textContent = t("log_in");
  document.getElementById("main")?.prepend(box);
}

// Leave the sending to the service worker: the page is about to go, and its request with it.
function handOff() {
  navigator.serviceWorker?.controller?.postMessage({ type: "sync" });
}

// A page shown from the phone's copy (no signal) says how old it is.
function showCopyAge() {
  const rendered = document.querySelector('meta[name="rendered-at"]')?.content;
  const at = rendered ? new Date(rendered) : null;
  if (!at || Number.isNaN(at.getTime())) return;
  if (navigator.onLine && Date.now() - at.getTime() < COPY_AFTER_MS) return; // fresh from the server
  const note = document.createElement("p");
  note.className = "copy-age";
  note.dataset.copyAge = "";
  const when = at.toLocaleString(document.documentElement.lang === "th" ? "th-TH" : "en-GB", {
    day: "numeric", month: "short", year: "numeric", hour: "2-digit", minute: "2-digit", timeZone: TIME_ZONE,
  });
  note.textContent = t("copy_age", { when });
  document.getElementById("main")?.prepend(note);
}

async function registerWorker() {
  if (!("serviceWorker" in navigator)) return null;
  try {
    return await navigator.serviceWorker.register("/sw.js", { scope: "/" });
  } catch {
    return null;
  }
}

async function askBackgroundSync() {
  const registration = await navigator.serviceWorker?.ready;
  try {
    await registration?.sync?.register("outbox");
  } catch {
    // Background Sync is not everywhere; the online event and app start cover the rest.
  }
}

// Keep a copy of each screen the app needs offline, refreshed hourly, page by page: a page
// the server could not give this time (busy, a dropped line) is asked for again at the next
// start, and the others are not fetched again before their hour.
async function cacheShellPages(paths = SHELL_PAGES, later = false) {
  if (!("caches" in window) || userId == null || !navigator.onLine) return;
  const key = `shell_cached:${userId}`;
  const kept = (await Outbox.getMeta(key)) || {};
  const cache = await caches.open(PAGES_CACHE);
  const here = window.location.pathname + window.location.search;
  await Promise.all(
    paths.map(async (path) => {
      if (kept[path] && Date.now() - kept[path] < SHELL_REFRESH_MS && (await cache.match(path))) return;
      // The page on screen is not fetched a second time: the service worker keeps it as it
      // comes (once it controls the page); until then a later start does.
      if (path === here) {
        if (await cache.match(path)) kept[path] = Date.now();
        return;
      }
      const signal = Outbox.timeoutSignal(PAGE_TIMEOUT_MS);
      const headers = later ? PREFETCH_HEADERS : {};
      const response = await fetch(path, { credentials: "same-origin", signal, headers }).catch(() => null);
      if (!response?.ok || response.redirected) return;
      if (later) await fetchScripts(await response.clone().text());
      await cache.put(path, response);
      kept[path] = Date.now();
    }),
  );
  await Outbox.setMeta(key, kept);
}

// Fetch the app's own scripts a page loads, and the photo picker's (loaded when the picker
// shows, so that a photo can be taken with no signal): the service worker keeps each as it
// passes.
async function fetchScripts(html) {
  const sources = [...html.matchAll(/(?:<script[^>]+src|data-photo-script)="(\/static\/[^"]+)"/g)]
    .map((match) => match[1]);
  await Promise.all(sources.map((src) => fetch(src, {
    headers: PREFETCH_HEADERS, signal: Outbox.timeoutSignal(PAGE_TIMEOUT_MS),
  }).catch(() => null)));
}

// The worker must control the page, so that it keeps the scripts as they pass: on a first
// load it takes control just after it is ready.
function controlled(ms) {
  if (!("serviceWorker" in navigator) || navigator.serviceWorker.controller) return Promise.resolve();
  return new Promise((resolve) => {
    navigator.serviceWorker.addEventListener("controllerchange", resolve, { once: true });
    setTimeout(resolve, ms);
    navigator.serviceWorker.ready.then(() => { if (navigator.serviceWorker.controller) resolve(); });
  });
}

async function cacheLaterPages() {
  try {
    await controlled(PAGE_TIMEOUT_MS);
    if (userId != null && navigator.serviceWorker?.controller) await cacheShellPages(LATER_PAGES, true);
  } finally {
    document.documentElement.dataset.laterPagesCached = ""; // done (or nothing to do)
  }
}

async function refreshHouseholds() {
  if (userId == null || !navigator.onLine) return;
  const key = `households:${userId}`;
  const state = (await Outbox.getMeta(key)) || {};
  if (state.checked_at && Date.now() - state.checked_at < HOUSEHOLDS_REFRESH_MS) return;
  let url = "/api/v1/households";
  const all = [];
  let etag = null;
  while (url) {
    const headers = url === "/api/v1/households" && state.etag ? { "If-None-Match": state.etag } : {};
    const signal = Outbox.timeoutSignal(HOUSEHOLDS_TIMEOUT_MS);
    const response = await fetch(url, { credentials: "same-origin", headers, signal }).catch(() => null);
    if (!response) return; // no signal, or too little: the list on the phone stays as it is
    if (response.status === 304) {
      await Outbox.setMeta(key, { ...state, checked_at: Date.now() });
      return;
    }
    if (!response.ok) return;
    etag = etag || response.headers.get("ETag");
    const body = await response.json().catch(() => null);
    if (!body) return;
    all.push(...body.households);
    url = body.next;
  }
  await Outbox.saveHouseholds(userId, all);
  await Outbox.setMeta(key, { etag, checked_at: Date.now(), count: all.length });
}

// The know-how for reading offline (knowledge-offline.js), once nothing is being sent or waits
// to be sent and the page has been still a while: never part of a first load on one bar.
function keepKnowledgeWhenIdle() {
  if (userId == null) return;
  setTimeout(async () => {
    const waiting = (await Outbox.entries(userId)).filter((entry) => entry.status === "waiting");
    if (sends || waiting.length || !navigator.onLine) return;
    // (Unversioned: the service worker's cache version follows this file, see web/pwa.py.)
    const module = await import(new URL("knowledge-offline.js", import.meta.url).pathname).catch(() => null);
    (window.requestIdleCallback || setTimeout)(() => module?.keepKnowledge({ userId, Outbox }).catch(() => null));
  }, IDLE_AFTER_MS);
}

// The home's offer of notifications: push.js comes only when it is tapped. The permission is
// asked at once, within the tap, as some browsers insist.
function offerPush() {
  const box = document.querySelector("[data-push-script]");
  if (!box || !("PushManager" in window && "Notification" in window)) return;
  const button = box.querySelector("[data-push-on]");
  const tapped = async () => {
    await Notification.requestPermission();
    try {
      await (await import(box.dataset.pushScript)).switchOn(box);
    } catch {
      box.querySelector("[data-push-state]").textContent = box.dataset.msgFailed;
      button.addEventListener("click", tapped, { once: true });
    }
  };
  button.addEventListener("click", tapped, { once: true });
  // Pushes come through the service worker: offered once it is ready (on a first load a slow
  // phone is still installing it), so that a tap never fails for want of it.
  navigator.serviceWorker?.ready.then(() => { box.hidden = false; });
}

// A form's photo picker (templates/_photos.html) shows only with the app's scripts, and its
// controls only where photos are allowed (a household that agreed); photos.js, which shrinks
// them, is loaded then, never with the first load (it comes with the offline kit in the
// background, after ready). The form's script decides `allowed`.
async function offerPhotos(form, allowed) {
  const picker = form.querySelector("[data-photo-picker]");
  if (!picker) return;
  const controls = picker.querySelector("[data-photo-controls]");
  const refusal = picker.querySelector("[data-photo-refusal]");
  controls.hidden = !allowed;
  refusal.hidden = allowed;
  picker.hidden = false;
  if (!allowed) return;
  const script = picker.dataset.photoScript;
  // With no signal the script comes only from the phone's copy: never asked for in vain.
  const kept = !navigator.onLine && "caches" in window ? await caches.match(script) : true;
  try {
    if (!kept) throw new Error("offline");
    (await import(script)).enhancePicker(picker, form, window.PwaApp);
  } catch {
    // Never loaded with signal on this phone: the form is saved without photos.
    controls.hidden = true;
    refusal.hidden = false;
    refusal.textContent = t("photos_unavailable");
  }
}

// Logging out: this phone stops taking the user's notifications (the next user turns theirs on).
async function stopPushes() {
  const registration = await navigator.serviceWorker?.getRegistration().catch(() => null);
  const subscription = await registration?.pushManager?.getSubscription().catch(() => null);
  if (!subscription) return;
  await fetch("/api/v1/push/subscriptions", {
    method: "DELETE", body: JSON.stringify({ endpoint: subscription.endpoint }), signal: Outbox.timeoutSignal(5000),
    headers: { "Content-Type": "application/json", "X-CSRFToken": csrf },
  }).catch(() => null);
  await subscription.unsubscribe().catch(() => null);
}

async function forgetThisUser() {
  await stopPushes();
  if ("caches" in window) await caches.delete(PAGES_CACHE);
  if (userId != null) {
    await Outbox.forgetHouseholds(userId);
    await Outbox.forgetPhotos(userId);
    await Outbox.setMeta(`households:${userId}`, {});
    await Outbox.setMeta(`shell_cached:${userId}`, {});
    await Outbox.setMeta(`knowledge:${userId}`, {});
  }
  await Outbox.setMeta("session", {});
}

function guardLogout() {
  const form = document.querySelector("form[data-logout]");
  form?.addEventListener("submit", async (event) => {
    if (form.dataset.confirmed) return;
    event.preventDefault();
    const waiting = userId == null ? [] : await Outbox.entries(userId);
    if (waiting.length && !window.confirm(t("logout_waiting", { n: waiting.length }))) return;
    // Photos of people do not stay on a shared phone after their volunteer has gone.
    const photos = userId == null ? [] : (await Outbox.photos(userId)).filter((photo) => photo.state !== "sent");
    if (photos.length && !window.confirm(t("logout_photos", { n: photos.length }))) return;
    await forgetThisUser();
    form.dataset.confirmed = "1";
    form.submit();
  });
}

document.addEventListener("submit", (event) => {
  const message = event.target.dataset.confirm;
  if (message && !window.confirm(message)) event.preventDefault();
});

document.addEventListener("click", (event) => {
  if (event.target.closest("[data-print]")) window.print();
});

// Logged out with visits still on the phone: say so where the volunteer logs in.
async function showWaitingNotice() {
  const waiting = (await Outbox.entries(null)).length;
  if (!waiting) return;
  const box = document.createElement("div");
  box.className = "alert alert-warning";
  box.dataset.waitingNotice = "";
  box.textContent = t("waiting_logged_out", { n: waiting });
  document.getElementById("main")?.prepend(box);
}

async function start() {
  showCopyAge();
  showFlash();
  guardLogout();
  offerPush();
  await registerWorker();
  if (!Outbox) return;
  if (userId == null) await showWaitingNotice();
  if (userId != null && csrf) {
    const previous = await Outbox.session();
    await Outbox.setMeta("session", { user_id: userId, csrf });
    if (previous.user_id != null && previous.user_id !== userId && "caches" in window) {
      await caches.delete(PAGES_CACHE);
    }
  }
  // Listen before showing the outbox: signal that comes back while the page starts counts.
  // Signal is back: the backoff was for the network, not the server, so send at once.
  window.addEventListener("online", () => { syncNow({ force: true }); refreshHouseholds(); keepKnowledgeWhenIdle(); });
  setInterval(() => { if (navigator.onLine) syncNow(); }, RETRY_EVERY_MS);
  await refreshBadge();
  if (userId != null) {
    await syncNow({ force: true }); // app start: try at once, whatever the backoff said
    await Promise.allSettled([cacheShellPages(), refreshHouseholds()]);
    if ((await Outbox.getMeta(`households:${userId}`))?.checked_at) document.documentElement.dataset.householdsStored = "";
    keepKnowledgeWhenIdle();
  }
}

// Other modules reach these through window.PwaApp (importing app.js again by a different
// URL would run it twice).
const ready = start();
ready.then(cacheLaterPages).catch(() => null);
window.PwaApp = {
  t, flashNext, refreshBadge, syncNow, askBackgroundSync, handOff, offerPhotos, userId, Outbox, ready,
};
