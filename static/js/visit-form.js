// The visit form: saved first to the phone's outbox, then sent; works with no signal.
// Without JavaScript the same form posts to the server as usual.

const form = document.querySelector("[data-visit-form]");
const MAX_ENTRIES = 20;

function renumber(fieldset, index) {
  for (const element of fieldset.querySelectorAll("[name], [id], label[for]")) {
    for (const attribute of ["name", "id", "for"]) {
      const value = element.getAttribute(attribute);
      if (value) element.setAttribute(attribute, value.replace(/new_cases-\d+-/, `new_cases-${index}-`));
    }
  }
}

function addEntry(event) {
  const list = form.querySelector("[data-new-cases]");
  const entries = list.querySelectorAll("[data-new-case]");
  if (!entries.length || entries.length >= MAX_ENTRIES) return null;
  event?.preventDefault();
  const copy = entries[entries.length - 1].cloneNode(true);
  renumber(copy, entries.length);
  copy.querySelectorAll(".error").forEach((node) => node.remove());
  copy.querySelectorAll(".has-error").forEach((node) => node.classList.remove("has-error"));
  copy.querySelectorAll("input").forEach((input) => { input.value = ""; });
  copy.querySelectorAll("select").forEach((select) => { select.selectedIndex = 0; });
  list.append(copy);
  if (event) copy.querySelector("select")?.focus();
  return copy;
}

function locate(button) {
  const status = form.querySelector("[data-location-status]");
  navigator.geolocation.getCurrentPosition(
    (position) => {
      const { latitude, longitude, accuracy } = position.coords;
      form.elements.lat.value = latitude.toFixed(6);
      form.elements.lon.value = longitude.toFixed(6);
      form.elements.accuracy.value = Math.round(accuracy);
      status.textContent = button.dataset.msgOk.replace("{m}", Math.round(accuracy));
    },
    () => { status.textContent = button.dataset.msgFail; },
    { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 },
  );
}

// --- Building the payload the sync API takes, and reading it back into the form -------

function value(name) {
  return form.elements[name]?.value ?? "";
}

function newCaseRows() {
  return [...form.querySelectorAll("[data-new-case]")];
}

function buildPayload() {
  const assistance = [];
  const positions = {};
  for (const select of form.querySelectorAll("select[name^='case-'][name$='-status']")) {
    const caseId = Number(select.name.split("-")[1]);
    positions[`assistance.${assistance.length}`] = `case-${caseId}`;
    assistance.push({
      case_id: caseId,
      status: select.value,
      note: value(`case-${caseId}-note`),
      next_follow_up: value(`case-${caseId}-next_follow_up`) || null,
    });
  }
  newCaseRows().forEach((row, index) => {
    const program = row.querySelector("[name$='-program']").value;
    const note = row.querySelector("[name$='-note']").value;
    const followUp = row.querySelector("[name$='-next_follow_up']").value;
    if (!program && !note && !followUp) return;
    positions[`assistance.${assistance.length}`] = `new_cases-${index}`;
    assistance.push({
      program,
      status: row.querySelector("[name$='-status']").value,
      note,
      next_follow_up: followUp || null,
    });
  });
  const visited = value("visited_at");
  const lat = value("lat");
  return {
    payload: {
      client_uuid: value("client_uuid") || crypto.randomUUID(),
      household: value("household"),
      visited_at: visited ? new Date(visited).toISOString() : "",
      kind: value("kind"),
      wellbeing: value("wellbeing"),
      needs: [...form.querySelectorAll("input[name=needs]:checked")].map((box) => box.value),
      notes: value("notes"),
      location: lat ? { lat: Number(lat), lon: Number(value("lon")), accuracy: Number(value("accuracy")) || null } : null,
      assistance,
    },
    positions,
  };
}

function localInput(iso) {
  const date = new Date(iso);
  const pad = (n) => String(n).padStart(2, "0");
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

function fillFromPayload(payload) {
  form.elements.client_uuid.value = payload.client_uuid;
  form.elements.visited_at.value = localInput(payload.visited_at);
  form.querySelector(`input[name=kind][value='${payload.kind}']`)?.click();
  form.querySelector(`input[name=wellbeing][value='${payload.wellbeing}']`)?.click();
  for (const box of form.querySelectorAll("input[name=needs]")) box.checked = payload.needs.includes(box.value);
  form.elements.notes.value = payload.notes;
  const fresh = payload.assistance.filter((entry) => entry.case_id == null);
  fresh.forEach((entry, index) => {
    const row = newCaseRows()[index] || addEntry(null);
    row.querySelector("[name$='-program']").value = entry.program;
    row.querySelector("[name$='-status']").value = entry.status;
    row.querySelector("[name$='-note']").value = entry.note;
    row.querySelector("[name$='-next_follow_up']").value = entry.next_follow_up || "";
  });
  for (const entry of payload.assistance.filter((item) => item.case_id != null)) {
    const select = form.elements[`case-${entry.case_id}-status`];
    if (!select) continue;
    select.value = entry.status;
    form.elements[`case-${entry.case_id}-note`].value = entry.note;
    form.elements[`case-${entry.case_id}-next_follow_up`].value = entry.next_follow_up || "";
  }
}

// --- Showing the server's field errors next to the fields ------------------------------

function clearErrors() {
  form.querySelectorAll("[data-client-error]").forEach((node) => node.remove());
  form.querySelectorAll(".has-error").forEach((node) => node.classList.remove("has-error"));
}

function inputFor(field, positions) {
  const [head, index, rest] = field.split(".");
  if (head === "assistance" && rest) return form.elements[`${positions[`assistance.${index}`]}-${rest}`];
  if (head === "location") return form.querySelector("[data-locate]");
  const element = form.elements[head];
  return element instanceof RadioNodeList ? element[0] : element;
}

function showErrors(result, positions) {
  clearErrors();
  let first = null;
  for (const [field, message] of Object.entries(result.fields || {})) {
    const input = inputFor(field, positions);
    const holder = input?.closest(".field, fieldset") || form.querySelector(".visit-form-errors");
    const note = document.createElement("p");
    note.className = "error";
    note.dataset.clientError = "";
    note.textContent = message;
    holder.classList.add("has-error");
    holder.append(note);
    first = first || holder;
  }
  const top = form.querySelector(".visit-form-errors");
  top.hidden = false;
  top.textContent = result.message || "";
  (first || top).scrollIntoView({ block: "center" });
}

// --- Saving ----------------------------------------------------------------------------

async function save(event) {
  if (event.submitter?.name === "add_entry") return;
  const app = window.PwaApp;
  if (!app?.Outbox || app.userId == null) return; // let the browser post the form
  event.preventDefault();
  const button = form.querySelector("[data-save]");
  button.disabled = true;
  const { payload, positions } = buildPayload();
  const label = form.dataset.householdLabel || payload.household;
  try {
    await app.Outbox.add({ userId: app.userId, payload, label });
  } catch (error) {
    button.disabled = false;
    showErrors({ message: app.t("storage_full"), fields: {} }, positions);
    return;
  }
  navigator.storage?.persist?.();
  app.askBackgroundSync();
  const summary = await app.syncNow({ force: true });
  const result = summary.results?.[payload.client_uuid];
  button.disabled = false;
  if (result && result.status === "rejected") {
    showErrors(result, positions);
    await app.refreshBadge();
    return;
  }
  if (result) {
    app.flashNext(app.t("saved_sent"));
    window.location.assign(`/households/${encodeURIComponent(payload.household)}`);
  } else {
    const saved = { login: "saved_login", busy: "saved_busy" }[summary.state] || "saved_offline";
    app.flashNext(app.t(saved));
    window.location.assign("/");
  }
}

// --- The offline shell: the household comes from the phone's list ----------------------

async function fillShell() {
  const app = window.PwaApp;
  const params = new URLSearchParams(window.location.search);
  const reference = params.get("household") || "";
  const household = app?.userId != null ? await app.Outbox.findHousehold(app.userId, reference) : null;
  const title = document.querySelector("[data-household-title]");
  if (!household) {
    title.textContent = app.t("not_in_list", { code: reference });
    form.hidden = true;
    return;
  }
  form.elements.household.value = household.code;
  form.dataset.householdLabel = `${household.code} · ${household.head_name}`;
  title.textContent = household.code;
  document.querySelector("[data-household-name]").textContent = household.head_name;
  document.title = `${household.code} · ${document.title}`;
  if (!form.elements.client_uuid.value) form.elements.client_uuid.value = crypto.randomUUID();
  if (!form.elements.visited_at.value) form.elements.visited_at.value = localInput(new Date().toISOString());
}

async function start() {
  form.querySelector("[data-add-case]")?.addEventListener("click", addEntry);
  const locateButton = form.querySelector("[data-locate]");
  if (locateButton && "geolocation" in navigator) {
    locateButton.hidden = false;
    locateButton.addEventListener("click", () => locate(locateButton));
  }
  if (form.dataset.mode !== "new") return;
  // A fresh form's time is "now" on this phone's clock, whatever time zone it is set to.
  if (form.dataset.fresh !== undefined) form.elements.visited_at.value = localInput(new Date().toISOString());
  // Until the app has started, a save posts the form to the server as without JavaScript;
  // once PwaApp.ready resolves (and the shell or the visit to fix is filled in), it goes
  // through the phone's outbox.
  await window.PwaApp?.ready;
  if (form.dataset.shell !== undefined) await fillShell();
  const fix = new URLSearchParams(window.location.search).get("outbox");
  if (fix) {
    const entry = await window.PwaApp.Outbox.get(fix);
    if (entry && entry.user_id === window.PwaApp.userId) {
      fillFromPayload(entry.payload);
      if (entry.status === "rejected") showErrors(entry, buildPayload().positions);
    }
  }
  form.addEventListener("submit", save);
}

if (form) start();
