// Service worker: the app shell works offline; pages network-first with a cached fallback;
// versioned static files cache-first. Queued visits live in IndexedDB, never in a cache,
// so an update of this file or its caches cannot strand them.
const VERSION = "__CACHE_VERSION__";
const STATIC_CACHE = `static-${VERSION}`;
const PAGES_CACHE = "pages-v1";
const PRECACHE = __PRECACHE__;
const OFFLINE_URL = "/offline";
const VISIT_SHELL_URL = "/visits/new?shell=1";
const HOUSEHOLD_SHELL_URL = "/households/shell";
const MESSAGE_SHELL_URL = "/messages/new?shell=1";
const ENCOUNTER_SHELL_URL = "/encounters/new?shell=1";
const HOUSEHOLD_PAGE = /^\/households\/[^/]*\d[^/]*$/; // a code has digits; "new", "import" do not
// The know-how: the list and each page a volunteer opens are kept; one never opened, or a
// search, is drawn from the phone's copy of all pages by the shell.
const KNOWLEDGE_SHELL_URL = "/knowledge/shell";
const KNOWLEDGE_PAGE = /^\/knowledge(\/[a-z0-9-]+)?$/;
const NOT_KEPT = ["/knowledge/new", KNOWLEDGE_SHELL_URL];
// On one bar of signal a page the phone has a copy of is shown from it after this long, and
// one it has no copy of gives the offline page after the longer wait (DESIGN.md section 8).
// A page that comes later still refreshes the copy for next time.
const NAVIGATION_TIMEOUT_MS = 3000;
const UNCACHED_NAVIGATION_TIMEOUT_MS = 12000;
const STATIC_TIMEOUT_MS = 20000;
// Staff pages (a dashboard, a sheet of cards) may take long on a slow line: they get longer.
const SLOW_PAGE_TIMEOUT_MS = 60000;
const CACHEABLE_PAGES = [
  /^\/$/, /^\/scan$/, /^\/outbox$/, /^\/visits\/new$/, /^\/households$/, /^\/households\/[A-Z0-9-]+$/,
  /^\/encounters\/new$/, /^\/messages$/, /^\/messages\/new$/, /^\/messages\/\d+$/, /^\/announcements$/, /^\/announcements\/\d+$/, KNOWLEDGE_PAGE,
];
// Forms drawn offline from one copy, whatever the household: the copy is their shell.
const SHELLS = {
  "/visits/new": VISIT_SHELL_URL, "/messages/new": MESSAGE_SHELL_URL, "/encounters/new": ENCOUNTER_SHELL_URL,
};

importScripts("__OUTBOX_CORE__");

self.addEventListener("install", (event) => {
  event.waitUntil(
    (async () => {
      const cache = await caches.open(STATIC_CACHE);
      await cache.addAll(PRECACHE);
      await self.skipWaiting();
    })(),
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    (async () => {
      const names = await caches.keys();
      await Promise.all(
        names.filter((name) => name.startsWith("static-") && name !== STATIC_CACHE).map((name) => caches.delete(name)),
      );
      await self.clients.claim();
    })(),
  );
});

async function staticFirst(request) {
  const cached = await caches.match(request);
  if (cached) return cached;
  const response = await fetch(request, { signal: self.PwaOutbox.timeoutSignal(STATIC_TIMEOUT_MS) });
  if (response.ok) {
    const cache = await caches.open(STATIC_CACHE);
    await cache.put(request, response.clone());
  }
  return response;
}

function withTimeout(promise, ms) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("timeout")), ms);
    promise.then(
      (value) => { clearTimeout(timer); resolve(value); },
      (error) => { clearTimeout(timer); reject(error); },
    );
  });
}

// The list of households is kept without a search: a search works offline from the phone's list.
// The pages a volunteer works from in the field.
function isFieldPage(url) {
  return CACHEABLE_PAGES.some((pattern) => pattern.test(url.pathname)) || HOUSEHOLD_PAGE.test(url.pathname);
}

function isCacheablePage(url) {
  if (["/households", "/knowledge"].includes(url.pathname) && url.search) return false;
  if (NOT_KEPT.includes(url.pathname)) return false;
  return CACHEABLE_PAGES.some((pattern) => pattern.test(url.pathname));
}

// A page belongs to the user it was made for (its <meta name="user-id">): a copy is kept and
// shown only for the user logged in on this phone now, never for the next one.
async function pageOwner(response) {
  const text = await response.clone().text();
  return text.match(/<meta name="user-id" content="(\d+)"/)?.[1] || null;
}

async function currentUser() {
  const { user_id: userId } = await self.PwaOutbox.session();
  return userId == null ? null : String(userId);
}

async function ownCopy(response) {
  if (!response) return undefined;
  const [owner, user] = await Promise.all([pageOwner(response), currentUser()]);
  return owner && owner === user ? response : undefined;
}

async function cachedPage(url) {
  const cache = await caches.open(PAGES_CACHE);
  if (SHELLS[url.pathname]) return ownCopy(await cache.match(SHELLS[url.pathname]));
  if (KNOWLEDGE_PAGE.test(url.pathname)) {
    const searching = url.searchParams.has("q");
    const page = searching ? undefined : await ownCopy(await cache.match(url.pathname));
    return page || ownCopy(await cache.match(KNOWLEDGE_SHELL_URL));
  }
  const page = await ownCopy((await cache.match(url.href)) || (await cache.match(url.pathname)));
  // A household never opened with signal: its page is drawn from the phone's list.
  if (page || !HOUSEHOLD_PAGE.test(url.pathname)) return page;
  return ownCopy(await cache.match(HOUSEHOLD_SHELL_URL));
}

async function keepCopy(url, response) {
  if (!response.ok || response.redirected || !isCacheablePage(url) || SHELLS[url.pathname]) return;
  // Kept for the user logged in here, or for one who just logged in (the page's script records
  // them a moment later): never over the copy of another who is still logged in.
  const [owner, user] = await Promise.all([pageOwner(response), currentUser()]);
  if (!owner || (user !== null && owner !== user)) return;
  const cache = await caches.open(PAGES_CACHE);
  // (A know-how page is the same text whatever the query: one copy, found by its path.)
  const bare = url.pathname === "/" || KNOWLEDGE_PAGE.test(url.pathname);
  await cache.put(url.pathname + (bare ? "" : url.search), response);
}

async function networkFirst(event) {
  const url = new URL(event.request.url);
  const network = fetch(event.request);
  // Whenever the page arrives, even after the copy was shown, it becomes the next copy.
  event.waitUntil(network.then((response) => keepCopy(url, response.clone())).catch(() => null));
  const fallback = await cachedPage(url);
  try {
    const wait = fallback ? NAVIGATION_TIMEOUT_MS
      : isFieldPage(url) ? UNCACHED_NAVIGATION_TIMEOUT_MS : SLOW_PAGE_TIMEOUT_MS;
    return await withTimeout(network, wait);
  } catch (error) {
    return fallback || (await caches.match(OFFLINE_URL)) || Response.error();
  }
}

self.addEventListener("fetch", (event) => {
  const url = new URL(event.request.url);
  if (event.request.method !== "GET" || url.origin !== self.location.origin) return;
  if (url.pathname.startsWith("/api/")) return;
  if (url.pathname.startsWith("/static/")) {
    event.respondWith(staticFirst(event.request));
  } else if (event.request.mode === "navigate") {
    event.respondWith(networkFirst(event));
  }
});

// Background Sync: deliver the outbox even when no page of the app is open. When the phone
// is still offline or the server busy, failing the event makes the browser try again later.
self.addEventListener("sync", (event) => {
  if (event.tag !== "outbox") return;
  event.waitUntil(
    self.PwaOutbox.sync({ force: true }).then((summary) => {
      if (summary.state === "offline" || summary.state === "busy") {
        throw new Error(`outbox not delivered: ${summary.state}`);
      }
    }),
  );
});

self.addEventListener("message", (event) => {
  if (event.data && event.data.type === "sync") event.waitUntil(self.PwaOutbox.sync({ force: true }));
});

// Web Push: a message carries all it shows (title, body, the page a tap opens), so showing it
// needs no network; a tap brings the app forward at that page, or opens it there.
const APP_NAME = __APP_NAME__;
const NOTIFICATION_ICON = "__NOTIFICATION_ICON__";

function appPath(value) {
  try {
    const url = new URL(value, self.location.origin);
    if (url.origin === self.location.origin) return url.pathname + url.search;
  } catch {
    // not an address at all
  }
  return "/notifications"; // never another site's
}

function readPush(data) {
  let message = {};
  try {
    message = data.json();
  } catch {
    message = { body: data?.text() };
  }
  const text = (value) => (typeof value === "string" ? value : "");
  return [text(message.title) || APP_NAME, {
    body: text(message.body), tag: text(message.tag) || undefined, lang: text(message.lang) || undefined,
    icon: NOTIFICATION_ICON, data: { url: appPath(message.url || "/notifications") },
  }];
}

self.addEventListener("push", (event) => {
  event.waitUntil(self.registration.showNotification(...readPush(event.data)));
});

async function openAt(url) {
  const windows = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
  try {
    if (await (await windows[0]?.focus())?.navigate(url)) return;
  } catch {
    // a window this worker does not control cannot be steered: open one
  }
  await self.clients.openWindow(url);
}

self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  event.waitUntil(openAt(new URL(appPath(event.notification.data?.url), self.location.origin).href));
});
