// The know-how drawn from the phone's copy (GET /api/v1/knowledge, kept by app.js): what the
// service worker shows with no signal for the list, a search, or a page never opened. The
// pages' HTML was made safe on the server (Markdown without raw HTML, then an allowlist), and
// the page's Content-Security-Policy runs no inline script whatever it holds.

const root = document.querySelector("[data-knowledge-shell]");
const LANGUAGE = document.documentElement.lang === "en" ? "en" : "th";
const OTHER = LANGUAGE === "en" ? "th" : "en";

function part(name) {
  return root.querySelector(`[data-shell-${name}]`);
}

function inLanguage(texts) {
  return texts?.[LANGUAGE] || texts?.[OTHER] || "";
}

function words(html) {
  return new DOMParser().parseFromString(html || "", "text/html").body.textContent || "";
}

// Every word must be in the title or the text, as the server's search asks.
function matches(page, terms) {
  const haystack = `${page.title.th} ${page.title.en} ${words(page.html.th)} ${words(page.html.en)}`.toLowerCase();
  return terms.every((term) => haystack.includes(term));
}

function row(page) {
  const item = document.createElement("li");
  item.className = "row";
  const link = document.createElement("a");
  link.className = "row-link";
  link.href = `/knowledge/${encodeURIComponent(page.slug)}`;
  const title = document.createElement("span");
  title.className = "row-title";
  const strong = document.createElement("strong");
  strong.textContent = inLanguage(page.title);
  title.append(strong);
  link.append(title);
  item.append(link);
  return item;
}

function showList(pages) {
  const query = new URLSearchParams(window.location.search).get("q") || "";
  const terms = query.toLowerCase().split(/\s+/).filter(Boolean);
  part("search").elements.q.value = query;
  const found = terms.length ? pages.filter((page) => matches(page, terms)) : pages;
  const list = part("pages");
  if (found.length) {
    list.replaceChildren(...found.map(row));
  } else {
    const none = document.createElement("li");
    none.className = "muted";
    none.textContent = root.dataset.msgNone;
    list.replaceChildren(none);
  }
  part("list").hidden = false;
  root.dataset.shellState = "list";
}

function agencyItem(agency) {
  const item = document.createElement("li");
  const link = document.createElement("a");
  link.className = "agency-row";
  link.href = `tel:${agency.phone}`;
  const name = document.createElement("strong");
  name.textContent = inLanguage(agency.name);
  const phone = document.createElement("span");
  phone.className = "agency-phone";
  phone.textContent = `☎ ${agency.phone}`;
  link.append(name, phone);
  item.append(link);
  return item;
}

function showPage(page) {
  const shown = page.html[LANGUAGE] ? LANGUAGE : OTHER;
  const title = part("title");
  title.textContent = page.title[shown] || inLanguage(page.title);
  title.lang = shown;
  const body = part("body");
  body.lang = shown;
  body.innerHTML = page.html[shown] || "";
  const fallback = part("fallback");
  fallback.hidden = shown === LANGUAGE;
  fallback.textContent = root.dataset[shown === "th" ? "msgFallbackTh" : "msgFallbackEn"];
  const agencies = page.agencies || [];
  part("agencies").replaceChildren(...agencies.map(agencyItem));
  part("contacts").hidden = agencies.length === 0;
  part("page").hidden = false;
  document.title = `${title.textContent} · ${document.title}`;
  root.dataset.shellState = "page";
}

function missing(message) {
  const box = part("missing");
  box.textContent = message;
  box.hidden = false;
  root.dataset.shellState = "missing";
}

async function start() {
  const app = window.PwaApp;
  const stored = app?.userId != null ? await app.Outbox.getMeta(`knowledge:${app.userId}`).catch(() => null) : null;
  const pages = stored?.pages || [];
  const path = window.location.pathname.match(/^\/knowledge\/([^/]+)$/);
  const slug = path && path[1] !== "shell" ? decodeURIComponent(path[1]) : "";
  if (!slug) {
    if (!pages.length) {
      missing(root.dataset.msgEmpty);
      return;
    }
    showList(pages);
    return;
  }
  const page = pages.find((item) => item.slug === slug || (item.aliases || []).includes(slug));
  if (!page) {
    missing(root.dataset.msgMissing);
    return;
  }
  showPage(page);
}

if (root) start();
