// The outbox page: what waits on this phone, what the server refused and why, "send now".

const app = window.PwaApp;
const list = document.querySelector("[data-outbox-list]");
const others = document.querySelector("[data-outbox-others]");
const lastSent = document.querySelector("[data-last-success]");
const sendButton = document.querySelector("[data-send-now]");
const status = document.querySelector("[data-send-status]");

function when(iso) {
  const locale = document.documentElement.lang === "th" ? "th-TH" : "en-GB";
  return iso ? new Date(iso).toLocaleString(locale, { timeZone: "Asia/Bangkok" }) : "";
}

// Where a refused entry is put right: its form, filled from the phone's copy.
function fixHref(entry) {
  const { payload } = entry;
  if (app.Outbox.kindOf(entry) === "encounter") return `/encounters/new?outbox=${entry.client_uuid}`;
  if (app.Outbox.kindOf(entry) !== "message") {
    return `/visits/new?household=${encodeURIComponent(payload.household)}&outbox=${entry.client_uuid}`;
  }
  if (payload.thread) return `/messages/${payload.thread}?outbox=${entry.client_uuid}`;
  return `/messages/new?household=${encodeURIComponent(payload.household)}&outbox=${entry.client_uuid}`;
}

function item(entry) {
  const li = document.createElement("li");
  li.className = `outbox-entry status-${entry.status}`;
  li.dataset.clientUuid = entry.client_uuid;
  const title = document.createElement("p");
  title.innerHTML = "<strong></strong> <span class=\"muted\"></span>";
  title.querySelector("strong").textContent = entry.label;
  title.querySelector("span").textContent = app.t("saved_at", { when: when(entry.created_at) });
  li.append(title);
  const state = document.createElement("p");
  if (entry.status === "rejected") {
    state.className = "error";
    state.textContent = entry.message || app.t("rejected");
    li.append(state);
    const reasons = document.createElement("ul");
    for (const [field, message] of Object.entries(entry.fields || {})) {
      const reason = document.createElement("li");
      reason.textContent = `${message}`;
      reason.dataset.field = field;
      reasons.append(reason);
    }
    li.append(reasons);
    const actions = document.createElement("p");
    actions.className = "actions";
    const fix = document.createElement("a");
    fix.className = "button primary";
    fix.href = fixHref(entry);
    fix.textContent = app.t("fix");
    const discard = document.createElement("button");
    discard.type = "button";
    discard.className = "button danger";
    discard.textContent = app.t("discard");
    discard.addEventListener("click", async () => {
      if (!window.confirm(app.t("discard_confirm"))) return;
      await app.Outbox.remove(entry.client_uuid);
      await app.refreshBadge(); // re-renders through "outbox:changed"
    });
    actions.append(fix, discard);
    li.append(actions);
  } else {
    state.className = "muted";
    state.textContent = entry.attempts
      ? app.t("waiting_retry", { n: entry.attempts, when: when(entry.next_attempt_at) })
      : app.t("waiting");
    li.append(state);
  }
  return li;
}

async function render() {
  const mine = await app.Outbox.entries(app.userId);
  const everyone = await app.Outbox.entries(null);
  list.replaceChildren(...mine.map(item));
  if (!mine.length) {
    const empty = document.createElement("li");
    empty.className = "muted";
    empty.textContent = app.t("outbox_empty");
    list.append(empty);
  }
  const foreign = everyone.length - mine.length;
  others.hidden = foreign === 0;
  others.textContent = app.t("other_users", { n: foreign });
  lastSent.textContent = when(await app.Outbox.getMeta("last_success")) || app.t("never");
}

function say(summary) {
  status.textContent = app.t(`sync_${summary.state}`, { n: summary.sent });
}

// The button stays disabled until its own send has an answer, and then says that answer.
sendButton.addEventListener("click", async () => {
  sendButton.disabled = true;
  status.textContent = app.t("sending");
  try {
    say(await app.syncNow({ force: true }));
  } finally {
    sendButton.disabled = false;
  }
});

// app.js announces every change of the outbox (a send, a discard): show it. A send that
// started by itself (signal back, the timer) says how it went if it sent or failed.
document.addEventListener("outbox:changed", render);
document.addEventListener("outbox:settled", ({ detail }) => {
  if (!sendButton.disabled && (detail.sent || detail.state !== "done")) say(detail);
});
app.ready.then(render);
