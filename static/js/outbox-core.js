// The outbox: visits (and consultation messages, encounter reports, and the photos of visits
// and encounters) saved on this phone (IndexedDB) until the server acknowledges them.
// A classic script shared by the pages and the service worker: it defines self.PwaOutbox.
// An entry leaves the outbox only when the server answered "created" or "duplicate" for it.
(function (global) {
  "use strict";

  const DB_NAME = "pwa_app";
  // 2: households are found by the hash of their card (qr_hash), never by the card's token.
  // 3: photos of visits and encounters, each waiting for its item to be acknowledged.
  const DB_VERSION = 3;
  // What the outbox carries, each delivered by its own sync call (visits first); an entry
  // stored before messages existed is a visit.
  const KINDS = {
    visit: { url: "/api/v1/visits/sync", key: "visits" },
    message: { url: "/api/v1/messages/sync", key: "messages" },
    encounter: { url: "/api/v1/encounters/sync", key: "encounters" },
  };
  const ME_URL = "/api/v1/me";
  const BATCH_SIZE = 20;
  const BLOCKED_MS = 5000;
  const BACKOFF_MS = [5e3, 15e3, 30e3, 60e3, 120e3, 300e3];
  // One bar of signal must never hold a send for ever: a batch of 20 visits is a few KB.
  const SYNC_TIMEOUT_MS = 20000;
  const ME_TIMEOUT_MS = 10000;
  const REPEAT_WINDOW_MS = 10 * 60 * 1000; // a second save of a household this soon is asked about

  let dbPromise = null;

  function request(req) {
    return new Promise((resolve, reject) => {
      req.onsuccess = () => resolve(req.result);
      req.onerror = () => reject(req.error);
    });
  }

  function openDb() {
    if (!dbPromise) {
      dbPromise = new Promise((resolve, reject) => {
        const open = indexedDB.open(DB_NAME, DB_VERSION);
        open.onupgradeneeded = (event) => {
          const db = open.result;
          if (!db.objectStoreNames.contains("outbox")) {
            db.createObjectStore("outbox", { keyPath: "client_uuid" }).createIndex("user_id", "user_id");
          }
          if (!db.objectStoreNames.contains("meta")) db.createObjectStore("meta", { keyPath: "key" });
          if (!db.objectStoreNames.contains("households")) {
            const store = db.createObjectStore("households", { keyPath: ["user_id", "code"] });
            store.createIndex("qr_hash", ["user_id", "qr_hash"]);
            store.createIndex("user_id", "user_id");
          } else if (event.oldVersion < 2) {
            upgradeHouseholds(open.transaction);
          }
          if (!db.objectStoreNames.contains("photos")) {
            const photos = db.createObjectStore("photos", { keyPath: "client_uuid" });
            photos.createIndex("user_id", "user_id");
            photos.createIndex("item_uuid", "item_uuid");
          }
        };
        // Another window still runs an older version of the app and holds the database open:
        // say so instead of waiting for ever (the visit form then keeps what was typed).
        const blocked = setTimeout(() => {
          dbPromise = null;
          reject(new Error("blocked"));
        }, BLOCKED_MS);
        open.onblocked = () => global.dispatchEvent?.(new Event("outbox:blocked"));
        open.onsuccess = () => {
          clearTimeout(blocked);
          const db = open.result;
          // A newer version of the app, in another window, needs the database: let it go.
          db.onversionchange = () => {
            db.close();
            dbPromise = null;
          };
          resolve(db);
        };
        open.onerror = () => {
          clearTimeout(blocked);
          dbPromise = null;
          reject(open.error);
        };
      });
    }
    return dbPromise;
  }

  async function store(name, mode = "readonly") {
    return (await openDb()).transaction(name, mode).objectStore(name);
  }

  function done(store) {
    return new Promise((resolve, reject) => {
      store.transaction.oncomplete = () => resolve();
      store.transaction.onerror = () => reject(store.transaction.error);
      store.transaction.onabort = () => reject(store.transaction.error);
    });
  }

  async function getMeta(key) {
    const row = await request((await store("meta")).get(key));
    return row ? row.value : undefined;
  }

  async function setMeta(key, value) {
    const meta = await store("meta", "readwrite");
    meta.put({ key, value });
    await done(meta);
  }

  async function entries(userId) {
    const outbox = await store("outbox");
    const all = await request(outbox.getAll());
    const mine = userId == null ? all : all.filter((entry) => entry.user_id === userId);
    return mine.sort((a, b) => a.created_at.localeCompare(b.created_at));
  }

  async function get(clientUuid) {
    return request((await store("outbox")).get(clientUuid));
  }

  async function put(entry) {
    const outbox = await store("outbox", "readwrite");
    outbox.put(entry);
    await done(outbox);
    return entry;
  }

  async function remove(clientUuid) {
    const outbox = await store("outbox", "readwrite");
    outbox.delete(clientUuid);
    await done(outbox);
  }

  // The volunteer gives up an item the server refused: its photos go with it.
  async function discard(clientUuid) {
    await remove(clientUuid);
    for (const photo of await photosOf(clientUuid)) await removePhoto(photo.client_uuid);
  }

  function kindOf(entry) {
    return entry.kind || "visit";
  }

  // Queue a visit, a message or an encounter ({client_uuid, user_id, kind, payload, label}),
  // then its photos ([{client_uuid, blob, type, width, height}], shrunk by photos.js).
  // The item comes first and a failure to store it throws (a full disk). A photo that cannot
  // be stored is dropped, never the item: the answer's photosDropped counts them, for the
  // form to tell the volunteer.
  async function add({ userId, payload, label, kind = "visit", photos = [] }) {
    const existing = await get(payload.client_uuid);
    const entry = await put({
      client_uuid: payload.client_uuid,
      user_id: userId,
      kind,
      payload,
      label,
      status: "waiting",
      created_at: existing ? existing.created_at : new Date().toISOString(),
      attempts: 0,
      next_attempt_at: null,
      error: null,
      fields: {},
      message: null,
    });
    await releaseHeldPhotos(entry.client_uuid);
    let photosDropped = 0;
    for (const photo of photos) {
      try {
        await putPhoto(newPhoto(entry, photo));
      } catch {
        photosDropped += 1;
      }
    }
    return { ...entry, photosDropped };
  }

  // A signal that aborts a request (and the reading of its body) after ms.
  function timeoutSignal(ms) {
    if (typeof AbortSignal !== "undefined" && AbortSignal.timeout) return AbortSignal.timeout(ms);
    const controller = new AbortController();
    setTimeout(() => controller.abort(), ms);
    return controller.signal;
  }

  async function session() {
    return (await getMeta("session")) || {};
  }

  async function renewToken() {
    const signal = timeoutSignal(ME_TIMEOUT_MS);
    const response = await fetch(ME_URL, { credentials: "same-origin", signal });
    if (!response.ok) return null;
    const me = await response.json();
    await setMeta("session", { user_id: me.id, csrf: me.csrf_token });
    return me;
  }

  // Send a batch; the answer's body is read under the same deadline. A send that runs out of
  // time counts as no signal: the visits stay and are sent again (the server knows each
  // client_uuid, so one that did arrive is answered "duplicate").
  async function post(batch, csrf) {
    const signal = timeoutSignal(SYNC_TIMEOUT_MS);
    const kind = KINDS[kindOf(batch[0])];
    const response = await fetch(kind.url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf || "" },
      body: JSON.stringify({ [kind.key]: batch.map((entry) => entry.payload) }),
      signal,
    });
    const body = response.ok || response.status === 400 ? await response.json().catch(() => ({})) : {};
    return { response, body };
  }

  // Seconds the server asked us to wait (Retry-After), or 0.
  function retryAfter(response) {
    const seconds = Number.parseInt(response?.headers.get("Retry-After") || "", 10);
    return Number.isFinite(seconds) && seconds > 0 ? seconds : 0;
  }

  async function postponeAll(batch, reason, atLeastSeconds = 0) {
    for (const sent of batch) {
      // Read again: while this send ran, the entry may have been delivered by another.
      const entry = await get(sent.client_uuid);
      if (!entry || entry.status !== "waiting") continue;
      entry.attempts += 1;
      const backoff = BACKOFF_MS[Math.min(entry.attempts - 1, BACKOFF_MS.length - 1)];
      const wait = Math.max(backoff, atLeastSeconds * 1000);
      entry.next_attempt_at = new Date(Date.now() + wait).toISOString();
      entry.error = reason;
      await put(entry);
    }
  }

  async function applyResults(batch, results) {
    let sent = 0;
    let rejected = 0;
    for (const [index, entry] of batch.entries()) {
      const result = results[index];
      if (!result || result.client_uuid !== entry.client_uuid) continue;
      if (result.status === "created" || result.status === "duplicate") {
        await remove(entry.client_uuid);
        sent += 1;
      } else if (result.status === "rejected") {
        Object.assign(entry, {
          status: "rejected",
          error: result.error,
          message: result.message,
          fields: result.fields || {},
          next_attempt_at: null,
        });
        await put(entry);
        await holdPhotos(entry.client_uuid, result.message);
        rejected += 1;
      }
    }
    if (sent) await setMeta("last_success", new Date().toISOString());
    return { sent, rejected };
  }

  // --- Photos: kept beside their item, uploaded once the server has acknowledged it ------
  // A photo is {client_uuid, user_id, item_kind, item_uuid, item_label, blob, type, width,
  // height, size, state, tries, next_attempt_at, message, created_at}. state is "waiting",
  // "sent" (kept, without its blob, only while another photo of the item is not) or
  // "refused" (held: the server refused it, or its item, with message).

  const PHOTOS_URL = "/api/v1/photos";
  // A shrunk photo is at most 300 KB: a minute is what one bar of signal needs for it.
  const PHOTO_TIMEOUT_MS = 60000;
  // Answers that sending again cannot change: the server's message says why.
  const PHOTO_REFUSALS = [400, 404, 409, 413, 415, 422];

  function newPhoto(entry, photo) {
    return {
      client_uuid: photo.client_uuid,
      user_id: entry.user_id,
      item_kind: entry.kind,
      item_uuid: entry.client_uuid,
      item_label: entry.label,
      blob: photo.blob,
      type: photo.type || photo.blob.type,
      width: photo.width,
      height: photo.height,
      size: photo.size || photo.blob.size,
      state: "waiting",
      held_by_item: false,
      tries: 0,
      next_attempt_at: null,
      message: null,
      created_at: new Date().toISOString(),
    };
  }

  async function putPhoto(photo) {
    const photos = await store("photos", "readwrite");
    photos.put(photo);
    await done(photos);
  }

  async function removePhoto(clientUuid) {
    const photos = await store("photos", "readwrite");
    photos.delete(clientUuid);
    await done(photos);
  }

  async function getPhoto(clientUuid) {
    return request((await store("photos")).get(clientUuid));
  }

  // The photos of a user (of everyone for null), oldest first.
  async function photos(userId) {
    const table = await store("photos");
    const all = await request(userId == null ? table.getAll() : table.index("user_id").getAll(userId));
    return all.sort((a, b) => a.created_at.localeCompare(b.created_at));
  }

  async function photosOf(itemUuid) {
    const found = await request((await store("photos")).index("item_uuid").getAll(itemUuid));
    return found.sort((a, b) => a.created_at.localeCompare(b.created_at));
  }

  // A refused item holds its photos (shown refused with it); fixed and saved again, it
  // releases them to go after it.
  async function holdPhotos(itemUuid, message) {
    for (const photo of await photosOf(itemUuid)) {
      if (photo.state !== "waiting") continue;
      await putPhoto({ ...photo, state: "refused", held_by_item: true, message: message || null });
    }
  }

  async function releaseHeldPhotos(itemUuid) {
    for (const photo of await photosOf(itemUuid)) {
      if (!photo.held_by_item) continue;
      await putPhoto({ ...photo, state: "waiting", held_by_item: false, message: null, next_attempt_at: null });
    }
  }

  // An item's photos are forgotten together once every one is on the server: until then the
  // outbox shows which went and which did not.
  async function settlePhotos(itemUuid) {
    const all = await photosOf(itemUuid);
    if (all.every((photo) => photo.state === "sent")) {
      for (const photo of all) await removePhoto(photo.client_uuid);
    }
  }

  async function markPhotoSent(photo) {
    const current = await getPhoto(photo.client_uuid);
    if (!current) return; // let go of meanwhile (its item discarded)
    await putPhoto({ ...current, blob: null, state: "sent", next_attempt_at: null, message: null });
    await settlePhotos(photo.item_uuid);
  }

  // The volunteer has read why a photo was refused and lets it go.
  async function dismissPhoto(clientUuid) {
    const photo = await getPhoto(clientUuid);
    if (!photo) return;
    await removePhoto(clientUuid);
    await settlePhotos(photo.item_uuid);
  }

  async function forgetPhotos(userId) {
    for (const photo of await photos(userId)) await removePhoto(photo.client_uuid);
  }

  async function postponePhoto(photo, reason, atLeastSeconds = 0) {
    const current = await getPhoto(photo.client_uuid);
    if (!current || current.state !== "waiting") return;
    current.tries += 1;
    const backoff = BACKOFF_MS[Math.min(current.tries - 1, BACKOFF_MS.length - 1)];
    current.next_attempt_at = new Date(Date.now() + Math.max(backoff, atLeastSeconds * 1000)).toISOString();
    current.message = reason;
    await putPhoto(current);
  }

  // Photos ready to go: waiting, their time come, and their item acknowledged (it has left
  // the outbox) so that the server can attach them at once.
  async function photosToSend(userId, force) {
    const held = new Set((await entries(userId)).map((entry) => entry.client_uuid));
    const now = new Date().toISOString();
    return (await photos(userId)).filter(
      (photo) => photo.state === "waiting" && !held.has(photo.item_uuid)
        && (force || !photo.next_attempt_at || photo.next_attempt_at <= now),
    );
  }

  async function postPhoto(photo, csrf) {
    const body = new FormData();
    body.append("client_uuid", photo.client_uuid);
    body.append(photo.item_kind, photo.item_uuid);
    body.append("file", photo.blob, `${photo.client_uuid}.jpg`);
    const response = await fetch(PHOTOS_URL, {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRFToken": csrf || "" },
      body,
      signal: timeoutSignal(PHOTO_TIMEOUT_MS),
    });
    return { response, answer: await response.json().catch(() => ({})) };
  }

  // Upload the waiting photos one at a time (on one bar of signal one finishes sooner than
  // three started together). Returns "done", or why the rest waits: "offline", "busy", "login".
  async function sendPhotos(userId, csrf, force, summary) {
    let token = csrf;
    for (const photo of await photosToSend(userId, force)) {
      let response;
      let answer;
      try {
        ({ response, answer } = await postPhoto(photo, token));
        if (response.status === 400 && answer.error === "csrf_failed") {
          const me = await renewToken();
          if (!me || me.id !== userId) return "login";
          token = me.csrf_token;
          ({ response, answer } = await postPhoto(photo, token));
        }
      } catch {
        await postponePhoto(photo, "offline");
        return "offline";
      }
      if (response.status === 401) {
        await setMeta("login_needed", true);
        return "login";
      }
      if (response.status === 200 || response.status === 201) {
        await markPhotoSent(photo);
        summary.photos_sent += 1;
      } else if (PHOTO_REFUSALS.includes(response.status)) {
        const current = await getPhoto(photo.client_uuid);
        if (current) await putPhoto({ ...current, state: "refused", message: answer.message || `http_${response.status}` });
        summary.photos_refused += 1;
      } else {
        await postponePhoto(photo, `http_${response.status}`, retryAfter(response));
        return "busy";
      }
    }
    return "done";
  }

  // What the badge counts: items not yet safe on the server (an acknowledged item whose
  // photos still wait is not), and those the volunteer must look at.
  async function tally(userId) {
    const mine = await entries(userId);
    const held = new Set(mine.map((entry) => entry.client_uuid));
    let waiting = mine.filter((entry) => entry.status === "waiting").length;
    let rejected = mine.length - waiting;
    const sentItems = new Map(); // item_uuid → does any of its photos still wait?
    for (const photo of await photos(userId)) {
      if (held.has(photo.item_uuid) || photo.state === "sent") continue;
      sentItems.set(photo.item_uuid, sentItems.get(photo.item_uuid) || photo.state === "waiting");
    }
    for (const anyWaiting of sentItems.values()) {
      if (anyWaiting) waiting += 1;
      else rejected += 1;
    }
    return { waiting, rejected, total: waiting + rejected };
  }

  let running = null; // the send under way
  let queued = null; // one more send, asked for while that one ran
  let queuedForce = false;

  // Send the waiting visits of the session's user, in batches, then the photos of those
  // acknowledged. Returns a summary:
  // {state: "done" | "offline" | "login" | "busy", sent, rejected, results, photos_sent, photos_refused}
  // Asked while a send runs, it sends once more after it: the running one may have read the
  // outbox before this visit was added, or failed just before the signal came back.
  // Everyone who asks meanwhile shares that one extra send.
  function sync({ force = false } = {}) {
    if (!running) {
      running = sendAlone(force).finally(() => { running = null; });
      return running;
    }
    queuedForce = queuedForce || force;
    queued = queued || running.catch(() => ({})).then(async (before) => {
      const again = queuedForce;
      queued = null;
      queuedForce = false;
      const after = await sync({ force: again });
      return { ...after, results: { ...before.results, ...after.results } }; // every visit's answer
    });
    return queued;
  }

  // One send at a time across the app's pages and its service worker (a page handing over
  // to the worker as it leaves, the next page starting): the same visits are not sent twice
  // at once over one bar of signal. A page that goes away lets go of the lock.
  function sendAlone(force) {
    const locks = global.navigator?.locks;
    return locks ? locks.request("pwa-outbox-send", () => sendWaiting(force)) : sendWaiting(force);
  }

  async function sendWaiting(force) {
    const summary = { state: "done", sent: 0, rejected: 0, results: {}, photos_sent: 0, photos_refused: 0 };
    let { user_id: userId, csrf } = await session();
    if (userId == null) return { ...summary, state: "login" };
    const now = new Date().toISOString();
    const waiting = (await entries(userId)).filter(
      (entry) => entry.status === "waiting" && (force || !entry.next_attempt_at || entry.next_attempt_at <= now),
    );
    // Visits first, then messages: a batch is of one kind, as each has its own call.
    const order = Object.keys(KINDS);
    const batches = [];
    for (const name of order) {
      const ofKind = waiting.filter((entry) => kindOf(entry) === name);
      for (let at = 0; at < ofKind.length; at += BATCH_SIZE) batches.push(ofKind.slice(at, at + BATCH_SIZE));
    }
    for (const [index, batch] of batches.entries()) {
      const later = batches.slice(index).flat();
      let response;
      let body;
      try {
        ({ response, body } = await post(batch, csrf));
        if (response.status === 400 && body.error === "csrf_failed") {
          const me = await renewToken();
          if (!me || me.id !== userId) return { ...summary, state: "login" };
          csrf = me.csrf_token;
          ({ response, body } = await post(batch, csrf));
        }
      } catch (error) {
        // No signal: this batch and the ones after it wait for the next try.
        await postponeAll(later, "offline");
        return { ...summary, state: "offline" };
      }
      if (response.status === 401) {
        await setMeta("login_needed", true);
        return { ...summary, state: "login" };
      }
      if (!response.ok) {
        await postponeAll(later, `http_${response.status}`, retryAfter(response));
        return { ...summary, state: "busy" };
      }
      const counted = await applyResults(batch, body.results || []);
      summary.sent += counted.sent;
      summary.rejected += counted.rejected;
      for (const result of body.results || []) summary.results[result.client_uuid] = result;
    }
    const photoState = await sendPhotos(userId, csrf, force, summary);
    if (photoState !== "done") return { ...summary, state: photoState };
    await setMeta("login_needed", false);
    return summary;
  }

  async function saveHouseholds(userId, households) {
    const table = await store("households", "readwrite");
    const old = await request(table.index("user_id").getAllKeys(userId));
    for (const key of old) table.delete(key);
    for (const household of households) table.put({ ...household, user_id: userId });
    await done(table);
    forgetListCache();
  }

  // Version 1 kept each card's token on the phone. Keep the list (found by code offline) but
  // take the tokens out, and forget its ETags so the next refresh brings each card's hash.
  function upgradeHouseholds(transaction) {
    const store = transaction.objectStore("households");
    if (store.indexNames.contains("token")) store.deleteIndex("token");
    store.createIndex("qr_hash", ["user_id", "qr_hash"]);
    store.openCursor().onsuccess = (event) => {
      const cursor = event.target.result;
      if (!cursor) return;
      const { qr_token: _token, ...household } = cursor.value;
      cursor.update(household);
      cursor.continue();
    };
    transaction.objectStore("meta").openCursor().onsuccess = (event) => {
      const cursor = event.target.result;
      if (!cursor) return;
      if (String(cursor.key).startsWith("households:")) cursor.delete();
      cursor.continue();
    };
  }

  // The phone keeps each card's SHA-256, not the card itself (a volunteer's phone must not be
  // able to stand in for a household's card): a scanned token is hashed to be recognised.
  async function cardHash(token) {
    if (!global.crypto?.subtle || !token) return null;
    const digest = await global.crypto.subtle.digest("SHA-256", new TextEncoder().encode(token));
    return Array.from(new Uint8Array(digest), (byte) => byte.toString(16).padStart(2, "0")).join("");
  }

  async function findHousehold(userId, codeOrToken) {
    const reference = String(codeOrToken || "").trim();
    const code = normalizeCode(reference) || reference.toUpperCase();
    const byCode = await request((await store("households")).get([userId, code]));
    if (byCode) return byCode;
    const hash = await cardHash(reference);
    return hash ? request((await store("households")).index("qr_hash").get([userId, hash])) : undefined;
  }

  // --- What the phone knows between sends: recent saves, and cases moved offline -----------

  // The visit just saved, so that another save of the same household soon after is asked
  // about ("a new visit?") instead of silently counted twice.
  async function rememberSave(userId, household, clientUuid) {
    const key = `recent_saves:${userId}`;
    const now = Date.now();
    const saves = Object.fromEntries(
      Object.entries((await getMeta(key)) || {}).filter(([, save]) => now - save.at < REPEAT_WINDOW_MS),
    );
    saves[household] = { at: now, client_uuid: clientUuid };
    await setMeta(key, saves);
  }

  // The save of this household within the last minutes under another client_uuid, if any.
  async function recentSave(userId, household, clientUuid) {
    const save = ((await getMeta(`recent_saves:${userId}`)) || {})[household];
    if (!save || save.client_uuid === clientUuid || Date.now() - save.at >= REPEAT_WINDOW_MS) return null;
    return save;
  }

  // A household's open cases as the phone should show them: the server's list (as last
  // fetched, never edited here) moved on by the visits still waiting on this phone, all but
  // `except` (the one being fixed). A visit the server refuses so moves nothing.
  async function casesAfterWaiting(userId, household, closedStatuses, except = null) {
    const cases = (household.open_cases || []).map((item) => ({ ...item }));
    const waiting = (await entries(userId)).filter(
      (entry) => kindOf(entry) === "visit" && entry.payload.household === household.code
        && entry.client_uuid !== except,
    );
    for (const entry of waiting) {
      for (const change of entry.payload.assistance || []) {
        const known = change.case_id != null && cases.find((item) => item.id === change.case_id);
        if (known) {
          known.status = change.status || known.status;
          known.next_follow_up = change.next_follow_up || null;
        } else if (change.case_id == null && change.program && !cases.some((item) => item.program === change.program && item.pending)) {
          cases.push({ id: null, program: change.program, member: null, status: change.status,
            next_follow_up: change.next_follow_up || null, pending: true });
        }
      }
    }
    return cases.filter((item) => !closedStatuses.includes(item.status));
  }

  async function forgetHouseholds(userId) {
    await saveHouseholds(userId, []);
  }

  // --- Finding a household: forgiving codes, and search over the phone's list ----------
  // The server has the same rules (services/households.normalize_code): keep them in step.

  const CODE_PATTERN = /^([A-Z]{2,3})[\s\-./_]*(\d+)(?:[\s\-./_]+(\d+))?$/;
  const SEPARATORS = /[\s\-./_]+/g;
  const TYPED_CODE_MAX = 21; // shorter than any card token (22+): the two are never mistaken
  const SEARCH_LIMIT = 50;
  const LIST_FRESH_MS = 30 * 1000;

  // Fold what a volunteer may type (full-width forms, Thai digits, lower case, stray spaces)
  // into plain upper-case ASCII.
  function foldText(text) {
    return String(text ?? "")
      .normalize("NFKC")
      .replace(/[\u0E50-\u0E59]/g, (digit) => String(digit.charCodeAt(0) - 0x0e50))
      .toUpperCase()
      .replace(/\s+/g, " ")
      .trim();
  }

  // "NI010001", "ni 1 1", "NI-1-1", "NI-๐๑-๐๐๐๑" → "NI-01-0001"; anything else → null.
  function normalizeCode(text) {
    if (String(text ?? "").length > TYPED_CODE_MAX * 2) return null;
    const typed = foldText(text);
    const match = typed.length <= TYPED_CODE_MAX ? typed.match(CODE_PATTERN) : null;
    if (!match) return null;
    const [, letters, first, second] = match;
    let village = first;
    let house = second;
    if (house === undefined) {
      if (first.length < 3) return null;
      village = first.slice(0, 2);
      house = first.slice(2);
    }
    if (village.length > 2 || house.length > 6) return null;
    return `${letters}-${village.padStart(2, "0")}-${house.padStart(4, "0")}`;
  }

  // The user's list, read once and kept briefly: a search runs on every key press.
  let listCache = null;

  async function householdList(userId) {
    if (listCache && listCache.userId === userId && Date.now() - listCache.at < LIST_FRESH_MS) {
      return listCache.rows;
    }
    const rows = (await request((await store("households")).index("user_id").getAll(userId))).map((household) => ({
      household,
      compact: household.code.replace(SEPARATORS, ""),
      name: String(household.head_name || "").normalize("NFKC").toLowerCase(),
    }));
    listCache = { userId, at: Date.now(), rows };
    return rows;
  }

  async function countHouseholds(userId) {
    return request((await store("households")).index("user_id").count(userId));
  }

  // Rank one household for a query: 0 its exact code, 1 a code starting with what was typed,
  // 2 a head's name starting with it, 3 a name containing it; null when it does not match.
  function rank(row, query) {
    if (query.code && row.household.code === query.code) return 0;
    if (query.compact.length >= 2 && row.compact.startsWith(query.compact)) return 1;
    if (!query.name) return null;
    const at = row.name.indexOf(query.name);
    if (at < 0) return null;
    return at === 0 ? 2 : 3;
  }

  // Search the phone's list by code (sloppy or a prefix), part of the head's name, or village.
  // An empty query lists the village (or every household) by code.
  async function searchHouseholds(userId, text, { village = "", limit = SEARCH_LIMIT } = {}) {
    const folded = foldText(text);
    const query = {
      code: normalizeCode(folded),
      compact: folded.replace(SEPARATORS, ""),
      name: String(text ?? "").normalize("NFKC").trim().toLowerCase(),
    };
    const found = [];
    for (const row of await householdList(userId)) {
      if (village && row.household.village !== village) continue;
      const score = folded ? rank(row, query) : 4;
      if (score !== null) found.push({ score, row });
    }
    found.sort((a, b) => a.score - b.score || a.row.household.code.localeCompare(b.row.household.code));
    return found.slice(0, limit).map(({ row }) => row.household);
  }

  function forgetListCache() {
    listCache = null;
  }

  global.PwaOutbox = {
    add, get, put, remove, discard, entries, sync, session, renewToken, getMeta, setMeta,
    photos, photosOf, dismissPhoto, forgetPhotos, tally,
    saveHouseholds, findHousehold, forgetHouseholds, timeoutSignal,
    rememberSave, recentSave, casesAfterWaiting, kindOf,
    normalizeCode, searchHouseholds, countHouseholds,
  };
})(self);
