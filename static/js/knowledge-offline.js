// The know-how on the phone, for reading with no signal: every page (GET /api/v1/knowledge,
// checked hourly by its ETag) in IndexedDB, and in the caches the shell that draws them with
// its files. app.js loads this module only once the app is idle, never in a first load.

const PAGES_CACHE = "pages-v1";
const KNOWLEDGE_URL = "/api/v1/knowledge";
const KNOWLEDGE_SHELL = "/knowledge/shell";
const REFRESH_MS = 60 * 60 * 1000;
const TIMEOUT_MS = 30000;
const PREFETCH = { "X-Prefetch": "later" }; // background work: tells the server's meters so

async function fetchPages(Outbox, state) {
  const headers = state.etag && state.pages ? { ...PREFETCH, "If-None-Match": state.etag } : PREFETCH;
  const signal = Outbox.timeoutSignal(TIMEOUT_MS);
  const response = await fetch(KNOWLEDGE_URL, { credentials: "same-origin", headers, signal }).catch(() => null);
  if (response?.status === 304) return { ...state, checked_at: Date.now() };
  const body = response?.ok ? await response.json().catch(() => null) : null;
  if (!body) return null; // no signal, or too little: the copy on the phone stays as it is
  return { etag: response.headers.get("ETag"), pages: body.pages, checked_at: Date.now() };
}

// The shell page and the files it names (a new version of the app starts with fresh caches:
// they are put back; the service worker keeps each static file it fetches).
async function keepShell(Outbox, refresh) {
  const cache = await caches.open(PAGES_CACHE);
  let shell = await cache.match(KNOWLEDGE_SHELL);
  if (refresh || !shell) {
    const signal = Outbox.timeoutSignal(TIMEOUT_MS);
    const response = await fetch(KNOWLEDGE_SHELL, { credentials: "same-origin", signal, headers: PREFETCH })
      .catch(() => null);
    if (response?.ok && !response.redirected) {
      await cache.put(KNOWLEDGE_SHELL, response.clone());
      shell = response;
    }
  }
  if (!shell) return;
  const files = [...(await shell.clone().text()).matchAll(/(?:src|href)="(\/static\/[^"]+)"/g)].map((m) => m[1]);
  await Promise.all(files.map(async (file) => (await caches.match(file))
    || fetch(file, { headers: PREFETCH }).catch(() => null)));
}

export async function keepKnowledge({ userId, Outbox }) {
  if (userId == null || !navigator.onLine || !("caches" in window)) return;
  const key = `knowledge:${userId}`;
  let state = (await Outbox.getMeta(key)) || {};
  const due = !state.checked_at || Date.now() - state.checked_at >= REFRESH_MS;
  if (due) {
    const fresh = await fetchPages(Outbox, state);
    if (fresh) {
      state = fresh;
      await Outbox.setMeta(key, state);
    }
  }
  await keepShell(Outbox, due);
  if (state.pages) document.documentElement.dataset.knowledgeStored = "";
}
