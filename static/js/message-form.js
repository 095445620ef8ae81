// Consultation forms (a question about a household, a message in a thread): saved in the
// phone's outbox first, as a visit is, and sent from there, so a question written with no
// signal goes when there is some. Without this script the forms post to the server.

const form = document.querySelector("form[data-message-form]");
const QUICK_ANSWER_MS = 800; // the server's answer, if it comes this soon, is shown at once
const params = new URLSearchParams(window.location.search);
let saving = false;

function wait(ms) {
  return new Promise((resolve) => { setTimeout(resolve, ms); });
}

function say(text, isError = false) {
  const status = form.querySelector("[data-message-status]");
  status.textContent = text;
  status.classList.toggle("error", isError);
}

function showErrors(result) {
  const bodyError = result.fields?.body || "";
  const reasons = Object.entries(result.fields || {}).filter(([name]) => name !== "body").map(([, text]) => text);
  const field = form.querySelector("[name=body]");
  field.setAttribute("aria-invalid", bodyError ? "true" : "false");
  say([result.message, bodyError, ...reasons].filter(Boolean).join(" "), true);
  if (bodyError) field.focus();
}

// The offline form: which household it is about comes from the address, its name from the
// phone's list of the volunteer's households.
async function fillFromPhone(app) {
  const code = app.Outbox.normalizeCode(params.get("household") || "") || "";
  const household = code ? await app.Outbox.findHousehold(app.userId, code) : null;
  const label = form.querySelector("[data-household-label]");
  if (!household) {
    label.textContent = app.t("not_in_list", { code: code || params.get("household") || "" });
    form.querySelector("[type=submit]").disabled = true;
    return;
  }
  form.dataset.household = household.code;
  label.textContent = [household.code, household.head_name, household.village_name || household.village]
    .filter(Boolean).join(" · ");
  const caseId = params.get("case");
  if (caseId && /^\d+$/.test(caseId)) form.dataset.case = caseId;
}

// Opened from the outbox to put a refused message right: the text as it was typed.
async function fillFromOutbox(app) {
  const entry = params.get("outbox") ? await app.Outbox.get(params.get("outbox")) : null;
  if (!entry || entry.user_id !== app.userId || app.Outbox.kindOf(entry) !== "message") return;
  form.querySelector("[name=body]").value = entry.payload.body;
  form.querySelector("[name=client_uuid]").value = entry.client_uuid;
  if (entry.status === "rejected") showErrors(entry);
}

function buildPayload() {
  const payload = {
    client_uuid: form.querySelector("[name=client_uuid]").value || crypto.randomUUID(),
    body: form.querySelector("[name=body]").value.trim(),
    sent_at: new Date().toISOString(),
  };
  if (form.dataset.thread) {
    payload.thread = Number(form.dataset.thread);
  } else {
    payload.household = form.dataset.household;
    const chosen = form.querySelector("[name=case]")?.value || form.dataset.case || "";
    if (/^\d+$/.test(chosen)) payload.case = Number(chosen);
  }
  return payload;
}

async function send(event) {
  const app = window.PwaApp;
  if (!app?.Outbox || app.userId == null) return; // let the browser post the form
  event.preventDefault();
  if (saving) return; // a double tap: the first one is saving this very message
  const payload = buildPayload();
  if (!payload.body) {
    showErrors({ message: "", fields: { body: app.t("message_empty") } });
    return;
  }
  if (!payload.thread && !payload.household) return;
  saving = true;
  const button = form.querySelector("[type=submit]");
  button.disabled = true;
  say(app.t("saving"));
  const label = `${app.t("message_label")} · ${payload.household || form.dataset.householdCode || ""}`;
  try {
    await app.Outbox.add({ userId: app.userId, payload, label, kind: "message" });
  } catch (error) {
    saving = false;
    button.disabled = false;
    say(app.t(error?.message === "blocked" ? "storage_blocked" : "storage_full"), true);
    return;
  }
  form.dataset.savedOnPhone = payload.client_uuid;
  app.askBackgroundSync();
  const sending = app.syncNow({ force: true }).catch(() => null);
  const summary = await Promise.race([sending, wait(QUICK_ANSWER_MS).then(() => null)]);
  const result = summary?.results?.[payload.client_uuid];
  if (result?.status === "rejected") {
    saving = false;
    button.disabled = false;
    showErrors(result);
    return;
  }
  if (result) {
    app.flashNext(app.t("message_sent"));
    const thread = `/messages/${result.thread}`;
    if (window.location.pathname === thread) {
      // The thread on screen: load it again (a change of #fragment alone would not).
      window.history.replaceState(null, "", `${thread}#latest`);
      window.location.reload();
    } else {
      window.location.assign(`${thread}#latest`);
    }
    return;
  }
  const saved = { login: "message_saved_login", busy: "message_saved_busy" }[summary?.state];
  app.handOff();
  if (payload.thread) {
    // Stay in the thread: the message waits on the phone; the box is ready for the next one.
    form.querySelector("[name=body]").value = "";
    form.querySelector("[name=client_uuid]").value = crypto.randomUUID();
    saving = false;
    button.disabled = false;
    say(app.t(saved || "message_saved_offline"));
    return;
  }
  app.flashNext(app.t(saved || "message_saved_offline"));
  window.location.assign(`/households/${encodeURIComponent(payload.household)}`);
}

async function start() {
  const app = window.PwaApp;
  await app?.ready;
  if (!app?.Outbox || app.userId == null) return;
  if (form.dataset.shell !== undefined) await fillFromPhone(app);
  await fillFromOutbox(app);
  form.addEventListener("submit", send);
  form.dataset.ready = "";
}

if (form) start();
