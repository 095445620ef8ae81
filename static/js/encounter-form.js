// The encounter form (a person found in hardship): saved in the phone's outbox first, as a
// visit is, and sent from there, so a report made with no signal goes when there is some.
// Without this script the form posts to the server.

const form = document.querySelector("form[data-encounter-form]");
const QUICK_ANSWER_MS = 800; // the server's answer, if it comes this soon, is shown at once
const LOCATION_TIMEOUT_MS = 15000;
const params = new URLSearchParams(window.location.search);
let saving = false;

function wait(ms) {
  return new Promise((resolve) => { setTimeout(resolve, ms); });
}

function dates() {
  return window.PwaDates;
}

function value(name) {
  return form.elements[name]?.value ?? "";
}

function say(text, isError = false) {
  const status = form.querySelector("[data-encounter-saving]");
  status.textContent = text;
  status.classList.toggle("error", isError);
}

// The server's (or the phone's own) reasons, next to the fields they name.
const FIELD_NAMES = { "person.name": "person_name", "person.age": "person_age", "person.sex": "person_sex" };

function showErrors(result) {
  form.querySelectorAll("[data-js-error]").forEach((node) => node.remove());
  form.querySelectorAll("[aria-invalid=true]").forEach((node) => node.setAttribute("aria-invalid", "false"));
  const box = form.querySelector("[data-encounter-errors]");
  const loose = [];
  let first = null;
  for (const [name, text] of Object.entries(result.fields || {})) {
    const input = form.elements[FIELD_NAMES[name] || name];
    const holder = input?.length && !input.tagName ? input[0].closest("fieldset") : input?.closest(".field");
    if (!holder || input.type === "hidden") {
      loose.push(text);
      continue;
    }
    const error = document.createElement("p");
    error.className = "error";
    error.dataset.jsError = "";
    error.textContent = text;
    holder.append(error);
    if (input.setAttribute) input.setAttribute("aria-invalid", "true");
    first = first || (input.focus ? input : input[0]);
  }
  box.textContent = [result.message, ...loose].filter(Boolean).join(" ");
  box.hidden = !box.textContent;
  say("");
  first?.focus();
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
    { enableHighAccuracy: true, timeout: LOCATION_TIMEOUT_MS, maximumAge: 60000 },
  );
}

function buildPayload() {
  const checked = (name) => form.querySelector(`input[name=${name}]:checked`)?.value || "";
  const lat = value("lat");
  const age = value("person_age").trim();
  const person = {
    name: value("person_name").trim() || null,
    age: /^\d+$/.test(age) ? Number(age) : age || null,
    sex: value("person_sex") || null,
  };
  const seen = value("seen_at");
  return {
    client_uuid: value("client_uuid") || crypto.randomUUID(),
    seen_at: seen ? dates().toIsoMoment(seen) || seen : "",
    category: checked("category"),
    urgency: checked("urgency") || "normal",
    place: value("place").trim(),
    description: value("description").trim(),
    village: value("village") || null,
    location: lat ? { lat: Number(lat), lon: Number(value("lon")), accuracy_m: Number(value("accuracy")) || null } : null,
    person: person.name || person.age !== null || person.sex ? person : null,
  };
}

// Opened from the outbox to put a refused report right: the report as it was typed.
function fillFromPayload(payload) {
  form.elements.client_uuid.value = payload.client_uuid;
  form.elements.seen_at.value = dates().momentFromIso(payload.seen_at) || payload.seen_at;
  form.querySelector(`input[name=category][value='${payload.category}']`)?.click();
  form.querySelector(`input[name=urgency][value='${payload.urgency}']`)?.click();
  form.elements.place.value = payload.place;
  form.elements.description.value = payload.description;
  if (payload.village && form.elements.village) form.elements.village.value = payload.village;
  form.elements.person_name.value = payload.person?.name || "";
  form.elements.person_age.value = payload.person?.age ?? "";
  form.elements.person_sex.value = payload.person?.sex || "";
  form.elements.lat.value = payload.location?.lat ?? "";
  form.elements.lon.value = payload.location?.lon ?? "";
  form.elements.accuracy.value = payload.location?.accuracy_m ?? "";
}

function checkOnPhone(app, payload) {
  const fields = {};
  if (!payload.category) fields.category = app.t("encounter_category_missing");
  if (!payload.place) fields.place = app.t("encounter_place_missing");
  return fields;
}

async function send(event) {
  const app = window.PwaApp;
  if (!app?.Outbox || app.userId == null) return; // let the browser post the form
  event.preventDefault();
  if (saving) return; // a double tap: the first one is saving this very report
  const payload = buildPayload();
  const missing = checkOnPhone(app, payload);
  if (Object.keys(missing).length) {
    showErrors({ message: "", fields: missing });
    return;
  }
  saving = true;
  const button = form.querySelector("[type=submit]");
  button.disabled = true;
  say(app.t("saving"));
  const label = `${app.t("encounter_label")} · ${payload.place.slice(0, 60)}`;
  let photosDropped = 0;
  try {
    await form.pwaPhotosReady; // a photo still being made smaller goes with the report
    const photos = form.pwaPhotos || [];
    ({ photosDropped } = await app.Outbox.add({ userId: app.userId, payload, label, kind: "encounter", photos }));
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
  // Photos go after their report: the service worker goes on with them as this page leaves.
  const photosWait = (form.pwaPhotos?.length || 0) > photosDropped;
  const dropped = photosDropped ? ` ${app.t("photos_dropped", { n: photosDropped })}` : "";
  if (result && !photosWait) {
    app.flashNext(app.t("encounter_sent") + dropped);
    window.location.assign(`/encounters/${result.id}`);
    return;
  }
  const saved = { login: "encounter_saved_login", busy: "encounter_saved_busy" }[summary?.state];
  app.handOff();
  app.flashNext(app.t(saved || (result ? "encounter_sent" : "encounter_saved_offline")) + dropped);
  window.location.assign(result ? `/encounters/${result.id}` : "/");
}

async function start() {
  const locateButton = form.querySelector("[data-locate]");
  if (locateButton && "geolocation" in navigator) {
    locateButton.hidden = false;
    locateButton.addEventListener("click", () => locate(locateButton));
  }
  // A fresh form's time is "now" on this phone's clock; the phone's copy of the form was
  // made earlier and carries no id: each report gets its own.
  if (form.dataset.fresh !== undefined) form.elements.seen_at.value = dates().nowTyped();
  if (!form.elements.client_uuid.value) form.elements.client_uuid.value = crypto.randomUUID();
  form.addEventListener("submit", send);
  const app = window.PwaApp;
  await app?.ready?.catch(() => null);
  const entry = params.get("outbox") && app?.Outbox ? await app.Outbox.get(params.get("outbox")) : null;
  // A report being put right keeps the photos it was saved with: none are added then.
  if (!params.get("outbox")) app?.offerPhotos(form, true);
  if (entry && entry.user_id === app.userId && app.Outbox.kindOf(entry) === "encounter") {
    fillFromPayload(entry.payload);
    if (entry.status === "rejected") showErrors(entry);
  }
  dates().tuckTime(form);
  form.dataset.ready = "";
}

// Back to a form already saved (the browser kept the page as it was): that report is on the
// phone, and its id must not carry another one.
window.addEventListener("pageshow", (event) => {
  if (event.persisted && form?.dataset.savedOnPhone) window.location.reload();
});

if (form) start();
