// Find a household on the phone: by village and house number (numeric keyboard; Enter opens
// it), by part of the head's name, or by a code typed any old way. It searches the phone's
// household list, so it works with no signal; with no list on the phone the forms go to the
// server's search as they would without JavaScript.

const Outbox = window.PwaOutbox;
const userId = window.PwaApp?.userId ?? null;
const VILLAGE_KEY = `finder_village:${userId}`;
const SHOWN = 30;
const DIGITS = /^[0-9\u0E50-\u0E59]+$/;

function openCaseCount(household) {
  const cases = household.open_cases;
  return Array.isArray(cases) ? cases.length : Number(cases) || 0;
}

function span(className, text = "") {
  const element = document.createElement("span");
  element.className = className;
  element.textContent = text;
  return element;
}

function rememberedVillage() {
  try {
    return localStorage.getItem(VILLAGE_KEY);
  } catch {
    return null; // storage switched off: the page's default stays
  }
}

function rememberVillage(code) {
  try {
    localStorage.setItem(VILLAGE_KEY, code);
  } catch {
    // nothing to do: the village is only a convenience
  }
}

function setUp(root) {
  const part = (name) => root.querySelector(`[data-finder-${name}]`);
  const village = part("village");
  const number = part("number");
  const text = part("text");
  const results = part("results");
  const status = part("status");
  const server = part("server");
  const filters = {
    village: part("village-filter"),
    tag: part("tag-filter"),
    stale: part("stale-filter"),
    archived: part("archived"),
  };
  const toVisit = root.dataset.finderTarget !== "household";
  const villageNames = new Map(
    [...root.querySelectorAll("[data-finder-village] option, [data-finder-village-filter] option")]
      .filter((option) => option.value)
      .map((option) => [option.value, option.textContent.trim().replace(/^\S+ · /, "")]),
  );
  let onPhone = false;
  let latest = 0; // the newest search: an older one that ends later draws nothing

  const message = (key, values = {}) =>
    (root.dataset[key] || "").replace(/\{(\w+)\}/g, (_, name) => values[name] ?? "");
  const hrefFor = (code) =>
    toVisit ? `/visits/new?household=${encodeURIComponent(code)}` : `/households/${encodeURIComponent(code)}`;

  // The list may arrive while the page is open (the app's start fetches it): ask until it has.
  async function listOnPhone() {
    if (!onPhone && userId != null) onPhone = (await Outbox.countHouseholds(userId).catch(() => 0)) > 0;
    return onPhone;
  }

  function row(household) {
    const item = document.createElement("li");
    item.className = "row";
    const link = document.createElement("a");
    link.className = "row-link";
    link.href = hrefFor(household.code);
    const title = span("row-title");
    const code = document.createElement("strong");
    code.textContent = household.code;
    title.append(code, ` · ${household.head_name || ""}`);
    const meta = [villageNames.get(household.village) || household.village];
    const cases = openCaseCount(household);
    if (cases) meta.push(message("msgOpenCases", { n: cases }));
    link.append(title, span("row-meta", meta.join(" · ")));
    item.append(link);
    return item;
  }

  function show(households, line) {
    results.replaceChildren(...households.slice(0, SHOWN).map(row));
    status.textContent = line;
    if (server) server.hidden = true;
    root.dataset.finderState = households.length ? "found" : "none";
  }

  function clear(line = "") {
    results.replaceChildren();
    status.textContent = line;
    if (server) server.hidden = false;
    root.dataset.finderState = "idle";
  }

  // --- Village and house number --------------------------------------------------------

  function numberCode() {
    const digits = number.value.trim();
    return village.value && DIGITS.test(digits) ? Outbox.normalizeCode(`${village.value}-${digits}`) : null;
  }

  // Households of the village whose number starts with the digits typed, the exact one first.
  async function showNumber() {
    const search = ++latest;
    if (!number.value.trim()) return clear();
    if (!village.value) return clear(message("msgChooseVillage"));
    const code = numberCode();
    if (!code) return clear(message("msgNone"));
    if (!(await listOnPhone())) return clear();
    const typed = String(Number(code.split("-").pop()));
    const found = (await Outbox.searchHouseholds(userId, "", { village: village.value, limit: Infinity }))
      .filter((household) => String(Number(household.code.split("-").pop())).startsWith(typed))
      .sort((a, b) => (b.code === code) - (a.code === code));
    if (search !== latest) return undefined;
    return show(found, found.length ? "" : message("msgMissing", { code }));
  }

  async function openNumber(event) {
    event.preventDefault();
    if (!village.value) {
      clear(message("msgChooseVillage"));
      village.focus();
      return;
    }
    const code = numberCode();
    if (!code) {
      clear(message("msgNone"));
      return;
    }
    const household = userId == null ? null : await Outbox.findHousehold(userId, code).catch(() => null);
    // Not on the phone but there is signal (or no list at all): the server has the last word.
    if (household || navigator.onLine || !(await listOnPhone())) {
      window.location.assign(hrefFor(household ? household.code : code));
      return;
    }
    clear(message("msgMissing", { code }));
  }

  // --- Name or code ----------------------------------------------------------------------

  async function showText() {
    const search = ++latest;
    const query = text.value.trim();
    if (!query || filters.archived?.checked || !(await listOnPhone())) {
      if (search === latest) clear();
      return [];
    }
    const tag = filters.tag?.value;
    const staleDays = Number(filters.stale?.value) || 0;
    const visitedBefore = new Date(Date.now() - staleDays * 86400e3).toISOString();
    let found = await Outbox.searchHouseholds(userId, query, { village: filters.village?.value || "", limit: Infinity });
    if (tag) found = found.filter((household) => (household.tags || []).includes(tag));
    if (staleDays) found = found.filter((household) => !household.last_visit_at || household.last_visit_at < visitedBefore);
    if (search !== latest) return found;
    show(found, found.length ? message("msgFound", { n: found.length }) : message("msgNone"));
    return found;
  }

  // On the home page one match opens at once; offline the phone's answer stands; otherwise
  // the server searches (every filter, archived households too).
  async function searchText(event) {
    event.preventDefault();
    const form = event.target;
    const found = await showText();
    if (toVisit && found.length === 1) {
      window.location.assign(hrefFor(found[0].code));
    } else if (navigator.onLine || !onPhone) {
      form.submit();
    }
  }

  // A cached copy of the list page, opened for a search: the phone answers the search.
  function searchFromAddress() {
    const params = new URLSearchParams(window.location.search);
    if (!params.has("q") || text.value === params.get("q")) return;
    const form = text.form;
    for (const [name, value] of params) {
      const field = form.elements[name];
      if (field?.type === "checkbox") field.checked = value === field.value;
      else if (field) field.value = value;
    }
    showText();
  }

  // --- The typed-code box of the scanner page ------------------------------------------

  function tidyCode(event) {
    const input = event.target.elements.household;
    const typed = input.value.trim();
    const code = DIGITS.test(typed) && village?.value
      ? Outbox.normalizeCode(`${village.value}-${typed}`)
      : Outbox.normalizeCode(typed);
    if (code) input.value = code;
  }

  if (village) {
    const remembered = rememberedVillage();
    if (remembered && [...village.options].some((option) => option.value === remembered)) village.value = remembered;
    village.addEventListener("change", () => {
      if (village.value) rememberVillage(village.value);
      showNumber();
      number.focus();
    });
    number.addEventListener("input", showNumber);
    part("number-form").addEventListener("submit", openNumber);
  }
  if (text) {
    let timer = null;
    text.addEventListener("input", () => {
      clearTimeout(timer);
      timer = setTimeout(showText, 120);
    });
    for (const filter of Object.values(filters)) filter?.addEventListener("change", showText);
    part("text-form").addEventListener("submit", searchText);
    searchFromAddress();
  }
  part("code-form")?.addEventListener("submit", tidyCode);
  root.dataset.finderReady = "";
}

if (Outbox) document.querySelectorAll("[data-finder]").forEach(setUp);
