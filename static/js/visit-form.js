// The visit form: saved first to the phone's outbox, then sent; works with no signal.
// Without JavaScript the same form posts to the server as usual.

const form = document.querySelector("[data-visit-form]");
const MAX_ENTRIES = 20;

// Give a copied fieldset its own names and ids: `pattern` (global) becomes `replacement`.
function renumber(fieldset, pattern, replacement) {
  for (const element of fieldset.querySelectorAll("[name], [id], label[for], [aria-describedby], [aria-controls]")) {
    for (const attribute of ["name", "id", "for", "aria-describedby", "aria-controls"]) {
      const value = element.getAttribute(attribute);
      if (value) element.setAttribute(attribute, value.replace(pattern, replacement));
    }
  }
}

function addEntry(event) {
  const list = form.querySelector("[data-new-cases]");
  const entries = list.querySelectorAll("[data-new-case]");
  if (!entries.length || entries.length >= MAX_ENTRIES) return null;
  event?.preventDefault();
  const copy = entries[entries.length - 1].cloneNode(true);
  renumber(copy, /new_cases-\d+-/g, `new_cases-${entries.length}-`);
  copy.querySelectorAll(".error").forEach((node) => node.remove());
  copy.querySelectorAll(".has-error").forEach((node) => node.classList.remove("has-error"));
  copy.querySelectorAll("input").forEach((input) => { input.value = ""; });
  copy.querySelectorAll("select").forEach((select) => { select.selectedIndex = 0; });
  copy.querySelectorAll("[data-day-shown]").forEach((node) => { node.textContent = ""; });
  showAgency(copy.querySelector("[data-agency]"), null);
  showGuide(copy.querySelector("[data-case-guide]"), "");
  list.append(copy);
  dates()?.enhance(copy);
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
      next_follow_up: dates().toIsoDay(value(`case-${caseId}-next_follow_up`)) || null,
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
      next_follow_up: dates().toIsoDay(followUp) || null,
    });
  });
  const visited = value("visited_at");
  const lat = value("lat");
  // An unchosen radio is sent as "" so that the server names what is missing.
  return {
    payload: {
      client_uuid: value("client_uuid") || crypto.randomUUID(),
      household: value("household"),
      visited_at: visited ? dates().toIsoMoment(visited) : "",
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

function dates() {
  return window.PwaDates;
}

function fillFromPayload(payload) {
  form.elements.client_uuid.value = payload.client_uuid;
  form.elements.visited_at.value = dates().momentFromIso(payload.visited_at);
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
    row.querySelector("[name$='-next_follow_up']").value = dates().dayFromIso(entry.next_follow_up);
  });
  for (const entry of payload.assistance.filter((item) => item.case_id != null)) {
    const select = form.elements[`case-${entry.case_id}-status`];
    if (!select) continue;
    select.value = entry.status;
    form.elements[`case-${entry.case_id}-note`].value = entry.note;
    form.elements[`case-${entry.case_id}-next_follow_up`].value = dates().dayFromIso(entry.next_follow_up);
  }
  dates().enhance(form);
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

// A good signal answers within this; a weak one never holds the volunteer longer: the visit
// is on the phone already and is sent in the background (DESIGN.md section 8).
const QUICK_ANSWER_MS = 800;
let saving = false;

function wait(ms) {
  return new Promise((resolve) => { setTimeout(resolve, ms); });
}

function setSaving(button, busy, app) {
  saving = busy;
  button.disabled = busy;
  if (busy) {
    button.dataset.label = button.dataset.label || button.textContent;
    button.textContent = app.t("saving");
  } else if (button.dataset.label) {
    button.textContent = button.dataset.label;
  }
}

// The same volunteer saving the same household again within minutes: a new visit, or the
// same one entered twice?
async function isNewVisit(app, payload) {
  const earlier = await app.Outbox.recentSave(app.userId, payload.household, payload.client_uuid);
  if (!earlier) return true;
  const time = new Date(earlier.at).toLocaleTimeString(document.documentElement.lang === "th" ? "th-TH" : "en-GB", {
    hour: "2-digit", minute: "2-digit", timeZone: dates().TIME_ZONE,
  });
  return window.confirm(app.t("repeat_visit", { time }));
}

function programName(code) {
  const option = form.querySelector(`[data-new-case] select[name$='-program'] option[value='${CSS.escape(code)}']`);
  return option ? option.textContent : code;
}

// Keep the visit, and its photos, on the phone. Returns how many photos the phone had no
// room for (the visit is kept all the same).
async function keepOnPhone(app, payload) {
  const label = form.dataset.householdLabel || payload.household;
  await form.pwaPhotosReady; // a photo still being made smaller goes with the visit
  const photos = form.pwaPhotos || [];
  const saved = await app.Outbox.add({ userId: app.userId, payload, label, photos });
  await app.Outbox.rememberSave(app.userId, payload.household, payload.client_uuid);
  return saved.photosDropped;
}

async function save(event) {
  if (event.submitter?.name === "add_entry") return;
  const app = window.PwaApp;
  if (!app?.Outbox || app.userId == null) return; // let the browser post the form
  event.preventDefault();
  if (saving) return; // a double tap: the first tap is saving this very visit
  const button = form.querySelector("[data-save]");
  setSaving(button, true, app);
  const { payload, positions } = buildPayload();
  if (!(await isNewVisit(app, payload))) {
    setSaving(button, false, app);
    return;
  }
  let photosDropped = 0;
  try {
    photosDropped = await keepOnPhone(app, payload);
  } catch (error) {
    setSaving(button, false, app);
    const message = error?.message === "blocked" ? "storage_blocked" : "storage_full";
    showErrors({ message: app.t(message), fields: {} }, positions);
    return;
  }
  form.dataset.savedOnPhone = payload.client_uuid; // a sign for whoever waits on it
  navigator.storage?.persist?.();
  app.askBackgroundSync();
  // (A send that fails outright changes nothing: the visit is on the phone, and goes later.)
  const sending = app.syncNow({ force: true }).catch(() => null);
  const summary = await Promise.race([sending, wait(QUICK_ANSWER_MS).then(() => null)]);
  const result = summary?.results?.[payload.client_uuid];
  if (result?.status === "rejected") {
    setSaving(button, false, app);
    showErrors(result, positions);
    await app.refreshBadge();
    return;
  }
  // Photos are sent after their visit: the service worker goes on with them as this page leaves.
  const photosWait = (form.pwaPhotos?.length || 0) > photosDropped;
  const dropped = photosDropped ? ` ${app.t("photos_dropped", { n: photosDropped })}` : "";
  if (result && !photosWait) {
    app.flashNext(app.t("saved_sent") + dropped);
  } else {
    const saved = { login: "saved_login", busy: "saved_busy", offline: "saved_offline" }[summary?.state];
    app.flashNext(app.t(saved || (navigator.onLine ? "saved_sending" : "saved_offline")) + dropped);
    app.handOff();
  }
  // The household's page, where a visit still on the phone shows as waiting to be sent.
  window.location.assign(`/households/${encodeURIComponent(payload.household)}`);
}

// --- The offline shell: the household and its open cases come from the phone's list ------

const CASE_RULES = JSON.parse(document.getElementById("case-rules")?.textContent || "{}");

function inLanguage(texts) {
  if (!texts || typeof texts === "string") return texts || "";
  return texts[CASE_RULES.language] || texts.th || texts.en || "";
}

// Who handles a programme in this household's village ({name: {th, en}, phone}), or nobody.
const PROGRAM_AGENCIES = JSON.parse(document.getElementById("program-agencies")?.textContent || "{}");

function showAgency(line, agency) {
  if (!line) return;
  line.hidden = !agency;
  line.querySelector("[data-agency-name]").textContent = agency ? inLanguage(agency.name) : "";
  const phone = line.querySelector("[data-agency-phone]");
  phone.textContent = agency?.phone || "";
  phone.href = agency ? `tel:${agency.phone}` : "";
}

// Each programme's referral guide in the know-how ({code: "/knowledge/<slug>"}).
const PROGRAM_GUIDES = JSON.parse(document.getElementById("program-guides")?.textContent || "{}");

function showGuide(line, program) {
  if (!line) return;
  const url = PROGRAM_GUIDES[program];
  line.hidden = !url;
  line.querySelector("[data-guide-link]").href = url || "";
}

function programChosen(event) {
  const select = event.target;
  if (!select.matches?.("[data-new-case] select[name$='-program']")) return;
  const entry = select.closest("[data-new-case]");
  showAgency(entry.querySelector("[data-agency]"), PROGRAM_AGENCIES[select.value]);
  showGuide(entry.querySelector("[data-case-guide]"), select.value);
}

function caseTitle(item) {
  const parts = [inLanguage(item.program_name) || programName(item.program), CASE_RULES.statuses?.[item.status] || item.status];
  if (item.member) parts.push(item.member);
  return parts.join(" · ");
}

function caseFieldset(item) {
  const template = document.querySelector("[data-case-template]");
  const fieldset = template.content.firstElementChild.cloneNode(true);
  renumber(fieldset, /case-0-/g, `case-${item.id}-`);
  fieldset.querySelector("[data-case-title]").textContent = caseTitle(item);
  fieldset.querySelector("[data-next-step]").textContent = inLanguage(item.next_step);
  showAgency(fieldset.querySelector("[data-agency]"), item.agency);
  showGuide(fieldset.querySelector("[data-case-guide]"), item.program);
  const select = fieldset.querySelector("select");
  for (const code of [item.status, ...(CASE_RULES.transitions?.[item.status] || [])]) {
    const label = CASE_RULES.statuses?.[code] || code;
    select.append(new Option(code === item.status ? `${label} (${CASE_RULES.no_change})` : label, code, false, code === item.status));
  }
  fieldset.querySelector("[data-day-input]").value = dates().dayFromIso(item.next_follow_up);
  return fieldset;
}

// A case saved on this phone but not yet on the server: shown, not changeable until it is.
function pendingCase(item) {
  const line = document.createElement("p");
  line.className = "case-pending";
  line.textContent = `${caseTitle(item)} · ${window.PwaApp.t("case_pending")}`;
  return line;
}

function showCases(openCases) {
  const section = form.querySelector("[data-open-cases]");
  const list = form.querySelector("[data-case-list]");
  if (!section || !list || !openCases?.length) return;
  list.replaceChildren(...openCases.map((item) => (item.id == null ? pendingCase(item) : caseFieldset(item))));
  section.hidden = false;
  dates().enhance(list);
  // A programme with an open case is updated above, never opened a second time.
  const taken = new Set(openCases.filter((item) => !item.member).map((item) => item.program));
  for (const option of form.querySelectorAll("[data-new-case] select[name$='-program'] option")) {
    if (!taken.has(option.value)) continue;
    option.disabled = true;
    option.textContent = window.PwaApp.t("open_case_above", { name: option.textContent });
  }
}

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
  const fixing = new URLSearchParams(window.location.search).get("outbox");
  showCases(await app.Outbox.casesAfterWaiting(app.userId, household, CASE_RULES.closed || [], fixing));
  if (!form.elements.client_uuid.value) form.elements.client_uuid.value = crypto.randomUUID();
  if (!form.elements.visited_at.value) form.elements.visited_at.value = dates().nowTyped();
  dates().tuckTime(form);
  return household;
}

async function start() {
  form.querySelector("[data-add-case]")?.addEventListener("click", addEntry);
  form.addEventListener("change", programChosen);
  const locateButton = form.querySelector("[data-locate]");
  if (locateButton && "geolocation" in navigator) {
    locateButton.hidden = false;
    locateButton.addEventListener("click", () => locate(locateButton));
  }
  if (form.dataset.mode !== "new") return;
  // A fresh form's time is "now" on this phone's clock, whatever time zone it is set to.
  if (form.dataset.fresh !== undefined) form.elements.visited_at.value = dates().nowTyped();
  dates().tuckTime(form);
  // Saving goes to the outbox even if the app's start is still waiting on something.
  form.addEventListener("submit", save);
  await window.PwaApp?.ready.catch(() => null);
  // (A list fetched before households said whether they agreed to photographs: no.)
  const household = form.dataset.shell !== undefined ? await fillShell() : null;
  const fix = new URLSearchParams(window.location.search).get("outbox");
  // A visit being put right keeps the photos it was saved with: none are added here.
  if (!fix && form.dataset.shell === undefined) {
    window.PwaApp?.offerPhotos(form, form.querySelector("[data-photo-refused]") === null);
  } else if (!fix && household) {
    window.PwaApp.offerPhotos(form, household.consent_photos === true);
  }
  if (fix) {
    const entry = await window.PwaApp.Outbox.get(fix);
    if (entry && entry.user_id === window.PwaApp.userId) {
      fillFromPayload(entry.payload);
      if (entry.status === "rejected") showErrors(entry, buildPayload().positions);
    }
  }
  form.dataset.ready = "";
}

// Back to a form already saved (the browser kept the page as it was): that visit is on the
// phone. Its client_uuid must not carry other content, which the server would refuse as a
// conflict for ever; a fresh form asks "a new visit?" if the volunteer saves again.
window.addEventListener("pageshow", (event) => {
  if (event.persisted && form?.dataset.savedOnPhone) window.location.reload();
});

if (form) start();
