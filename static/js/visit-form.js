// The visit form: add welfare entries without a round trip, and add the location on request.

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
  if (!entries.length || entries.length >= MAX_ENTRIES) return;
  event.preventDefault();
  const copy = entries[entries.length - 1].cloneNode(true);
  renumber(copy, entries.length);
  copy.querySelectorAll(".error").forEach((node) => node.remove());
  copy.querySelectorAll(".has-error").forEach((node) => node.classList.remove("has-error"));
  copy.querySelectorAll("input").forEach((input) => { input.value = ""; });
  copy.querySelectorAll("select").forEach((select) => { select.selectedIndex = 0; });
  list.append(copy);
  copy.querySelector("select")?.focus();
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

if (form) {
  form.querySelector("[data-add-case]")?.addEventListener("click", addEntry);
  const locateButton = form.querySelector("[data-locate]");
  if (locateButton && "geolocation" in navigator) {
    locateButton.hidden = false;
    locateButton.addEventListener("click", () => locate(locateButton));
  }
}
