// Notifications on this phone (Web Push). The browser's permission is asked only when the
// button is tapped; then the phone subscribes with the server's key and hands the server its
// subscription. Turning off forgets it on both sides. Every request has a deadline.

const TIMEOUT_MS = 15000;
const SUBSCRIPTIONS = "/api/v1/push/subscriptions";
const csrf = document.querySelector('meta[name="csrf-token"]')?.content || "";

function deadline(ms) {
  return window.PwaOutbox?.timeoutSignal?.(ms) ?? AbortSignal.timeout?.(ms);
}

// A promise that gives up after ms (the service worker's `ready` waits for ever otherwise).
function within(promise, ms) {
  return Promise.race([promise, new Promise((_, reject) => setTimeout(() => reject(new Error("timeout")), ms))]);
}

function supported() {
  return "serviceWorker" in navigator && "PushManager" in window && "Notification" in window;
}

function keyBytes(text) {
  const base64 = text.replace(/-/g, "+").replace(/_/g, "/") + "=".repeat((4 - (text.length % 4)) % 4);
  return Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
}

function sameKey(buffer, text) {
  if (!buffer) return false;
  const have = new Uint8Array(buffer);
  const want = keyBytes(text);
  return have.length === want.length && have.every((byte, i) => byte === want[i]);
}

async function call(method, url, body) {
  const response = await fetch(url, {
    method,
    credentials: "same-origin",
    headers: body ? { "Content-Type": "application/json", "X-CSRFToken": csrf } : {},
    body: body ? JSON.stringify(body) : undefined,
    signal: deadline(TIMEOUT_MS),
  });
  const answer = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(answer.message || `HTTP ${response.status}`);
  return answer;
}

async function pushManager() {
  const registration = await within(navigator.serviceWorker.ready, TIMEOUT_MS);
  return registration.pushManager;
}

async function turnOn() {
  if ((await Notification.requestPermission()) !== "granted") return "denied";
  const manager = await pushManager();
  const { key } = await call("GET", "/api/v1/push/key");
  let subscription = await manager.getSubscription();
  if (subscription && !sameKey(subscription.options?.applicationServerKey, key)) {
    await subscription.unsubscribe(); // made with another server key: it cannot be used
    subscription = null;
  }
  subscription = subscription || (await manager.subscribe({ userVisibleOnly: true, applicationServerKey: keyBytes(key) }));
  await call("POST", SUBSCRIPTIONS, subscription.toJSON());
  return "on";
}

async function turnOff() {
  const subscription = await (await pushManager()).getSubscription();
  if (subscription) {
    // The server forgets it when it can; the phone stops taking pushes at once either way.
    await call("DELETE", SUBSCRIPTIONS, { endpoint: subscription.endpoint }).catch(() => null);
    await subscription.unsubscribe();
  }
  return "off";
}

async function currentState() {
  if (Notification.permission === "denied") return "denied";
  if (Notification.permission !== "granted") return "off";
  const subscription = await (await pushManager()).getSubscription().catch(() => null);
  return subscription ? "on" : "off";
}

function show(box, state) {
  const message = box.querySelector("[data-push-state]");
  box.dataset.msgOff ??= message.textContent.trim(); // the offer, as the page wrote it
  box.dataset.pushState = state;
  message.textContent = box.dataset[`msg${state[0].toUpperCase()}${state.slice(1)}`] || "";
  box.querySelector("[data-push-on]").hidden = state === "on" || state === "working";
  box.querySelector("[data-push-off]").hidden = state !== "on";
  box.querySelectorAll("button").forEach((button) => { button.disabled = state === "working"; });
}

function act(box, action) {
  return async () => {
    show(box, "working");
    try {
      show(box, await action());
    } catch {
      show(box, "failed");
    }
  };
}

export async function start(box) {
  if (!supported() || box.dataset.pushStarted) return; // no pushes here: nothing to offer
  box.dataset.pushStarted = "";
  box.querySelector("[data-push-on]").addEventListener("click", act(box, turnOn));
  box.querySelector("[data-push-off]").addEventListener("click", act(box, turnOff));
  await navigator.serviceWorker.ready; // pushes come through the worker: offered once it is ready
  box.hidden = false;
  show(box, await currentState().catch(() => "off"));
}

// For app.js, which loads this module on the home's first tap (the permission already asked).
export async function switchOn(box) {
  await start(box);
  await act(box, turnOn)();
}

document.querySelectorAll("[data-push-optin]:not([data-push-script])").forEach(start);
