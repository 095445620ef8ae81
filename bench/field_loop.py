"""The core loop counted on a 360x740 phone: taps to a saved visit, and the screen left for content.

A volunteer (Chromium, touch, Thai) opens the app, finds a household by its code, records a
visit and waits until the app says it is kept; every tap, key and keyboard switch is counted.
The journey takes the home page's finder when there is one (a village picker and a number-only
field where Enter opens the visit form), otherwise today's way: the Scan tab and its code box.
The selectors are in SELECTORS, to follow the UI as it changes.

    python -m bench.field_loop      # print the figures as JSON
"""

import json
import re
import tempfile
import time
from dataclasses import dataclass, field

from playwright.sync_api import sync_playwright

from bench import load
from bench.lighthouse import PASSWORD, PHONE, demo_server
from bench.weight import CHROMIUM, CHROMIUM_ARGS, HANG_MS

WIDTH, HEIGHT = 360, 740
CONTENT_TARGET = 0.80
# Taps beyond the digits that tell the household apart.
TAPS_TARGET = 4

SELECTORS = {
    # The home page's finder: a number-only field, and a village picker (a select or radios).
    "finder_number": "input[data-finder-number]",
    "finder_village": "select[data-finder-village]",
    # The other way: the Scan tab, then the code box.
    "scan_tab": "a[href='/scan']",
    "code_box": "form[action*='/visits/new'] input[name=household]",
    # The visit form: a wellbeing tile, a kind tile, the save button.
    "visit_form": "[data-visit-form]",
    "wellbeing": "label:has(input[name=wellbeing])",
    "kind": "label:has(input[name=kind])",
    "save": "[data-save]",
    # What tells the volunteer the visit is kept (a status message, on this page or the next),
    # and what says it was refused.
    "saved": ".alert-ok[role=status], [data-saved]",
    "refused": ".visit-form-errors:not([hidden]), [data-visit-form] .error",
}

KEYBOARD = """el => {
  const mode = (el.getAttribute('inputmode') || '').toLowerCase();
  return ['numeric', 'tel', 'decimal'].includes(mode) || ['number', 'tel'].includes(el.type)
    ? 'numeric' : 'text';
}"""

CHROME = """() => {
  const height = window.innerHeight;
  const spans = [];
  for (const el of document.querySelectorAll('body *')) {
    const style = getComputedStyle(el);
    if (!['fixed', 'sticky'].includes(style.position) || style.visibility === 'hidden') continue;
    const box = el.getBoundingClientRect();
    const top = Math.max(0, box.top), bottom = Math.min(height, box.bottom);
    if (bottom - top < 1 || box.width < 1) continue;
    const classes = [...el.classList].map((name) => '.' + name).join('');
    const name = el.tagName.toLowerCase() + classes;
    spans.push({ top, bottom, name });
  }
  spans.sort((a, b) => a.top - b.top);
  let covered = 0, reach = 0;
  for (const { top, bottom } of spans) {
    covered += Math.max(0, bottom - Math.max(top, reach));
    reach = Math.max(reach, bottom);
  }
  const first = document.querySelector('[data-visit-form] fieldset, [data-visit-form] .field');
  return {
    height, covered, names: [...new Set(spans.map((s) => s.name))],
    first_field_top: first ? Math.round(first.getBoundingClientRect().top) : null,
  };
}"""


@dataclass
class Tally:
    """What the volunteer's thumb does: taps on the page, keys, keyboard switches."""

    taps: int = 0
    keys: int = 0
    switches: int = 0
    keyboard: str | None = None  # the keyboard last typed on: numeric or text
    steps: list = field(default_factory=list)

    def tap(self, target, what):
        """Tap an element."""
        target.tap()
        self.taps += 1
        self.steps.append(f"tap {what}")

    def choose(self, select, value, what):
        """Pick an option of a select: a tap to open it, a tap on the option."""
        select.select_option(value)
        self.taps += 2
        self.steps.append(f"pick {what} (2 taps)")

    def focus(self, target, what):
        """Tap a field to bring up its keyboard.

        Counted even when the page has focused the field itself: phones bring up the keyboard
        for a focus the volunteer's own tap starts, not for one a script or autofocus sets.
        """
        if target.evaluate("el => el === document.activeElement"):
            what += " (focused by the page already)"
        self.tap(target, what)

    def type(self, target, text, what):
        """Type into a field, counting keys and keyboard switches.

        A numeric keyboard types digits only. A text keyboard opens on letters; digits and
        signs are on its other layer, so each change between the two is a tap on the layer key.
        Going from one field to another whose keyboard is of the other kind counts as a switch.
        """
        kind = target.evaluate(KEYBOARD)
        switches = int(self.keyboard is not None and self.keyboard != kind)
        layer = "letters"
        for char in text if kind == "text" else "":
            wanted = "letters" if char.isalpha() else "signs"
            switches += wanted != layer
            layer = wanted
        target.press_sequentially(text)
        self.keyboard = kind
        self.keys += len(text)
        self.switches += switches
        self.steps.append(
            f"type {what} `{text}` on the {kind} keyboard "
            f"({len(text)} keys, {switches} switch{'es' if switches != 1 else ''})"
        )

    def enter(self, target, what):
        """Press the keyboard's Enter (Go) key."""
        target.press("Enter")
        self.keys += 1
        self.steps.append(f"Enter {what}")


def distinguishing_digits(code):
    """The digits that tell a household apart in its village: its number without zeros in front."""
    return str(int(code.rsplit("-", 1)[1]))


def find_by_finder(page, tally, code, village):
    """Home page's finder: pick the village unless remembered, type the number, Enter."""
    picker = page.locator(SELECTORS["finder_village"]).first
    if picker.count() and picker.is_visible():
        wanted = {village["code"], str(village["id"])}
        if picker.evaluate("el => el.tagName") == "SELECT":
            options = picker.evaluate("el => [...el.options].map(o => [o.value, o.text])")
            value = next(
                v for v, text in options if v in wanted or any(n in text for n in village["names"])
            )
            if picker.input_value() != value:
                tally.choose(picker, value, f"village {village['code']}")
        else:
            radios = page.locator(SELECTORS["finder_village"])
            for index in range(radios.count()):
                radio = radios.nth(index)
                if radio.get_attribute("value") in wanted and not radio.is_checked():
                    label = radio.locator("xpath=ancestor::label[1]")
                    tally.tap(label, f"village {village['code']}")
    number = page.locator(SELECTORS["finder_number"]).first
    tally.focus(number, "the number field")
    tally.type(number, distinguishing_digits(code), "the household's number")
    tally.enter(number, "to open the visit form")
    return "home page finder: village picker, number field, Enter"


def find_by_scan_tab(page, tally, code):
    """Today's way: the Scan tab, the code box, the full code, Enter."""
    tally.tap(page.locator(SELECTORS["scan_tab"]).first, "the Scan tab")
    box = page.locator(SELECTORS["code_box"]).first
    tally.focus(box, "the code box")
    tally.type(box, code, "the full code")
    tally.enter(box, "to open the visit form")
    return "Scan tab, code box with the full code, Enter"


def record_visit(page, tally):
    """Choose what the form leaves open (wellbeing, kind), save, wait until it says kept."""
    page.locator(SELECTORS["visit_form"]).wait_for()
    for name in ("wellbeing", "kind"):
        if not page.locator(f"input[name={name}]:checked").count():
            tally.tap(page.locator(SELECTORS[name]).first, f"a {name} tile")
    started = time.perf_counter()
    tally.tap(page.locator(SELECTORS["save"]).first, "Save")
    answers = page.locator(f"{SELECTORS['saved']}, {SELECTORS['refused']}")
    answer = answers.filter(visible=True).first
    answer.wait_for()
    seconds = time.perf_counter() - started
    if not answer.evaluate("(el, saved) => el.matches(saved)", SELECTORS["saved"]):
        raise RuntimeError(f"the visit was refused: {answer.inner_text()}")
    return seconds


def journey(page, base, code, village):
    """Open the app, find the household, record a visit; return the tally and what it took."""
    tally = Tally()
    page.goto(f"{base}/")
    page.evaluate("async () => { await window.PwaApp.ready; }")
    if page.locator(SELECTORS["finder_number"]).count():
        path = find_by_finder(page, tally, code, village)
    else:
        path = find_by_scan_tab(page, tally, code)
    page.wait_for_url(re.compile(r"/visits/new\?"))
    opened = page.url
    saved_s = record_visit(page, tally)
    digits = len(distinguishing_digits(code))
    beyond = tally.taps + tally.switches + tally.keys - digits
    return {
        "code": code,
        "path": path,
        "opened": opened.removeprefix(base),
        "taps": tally.taps,
        "keys": tally.keys,
        "switches": tally.switches,
        "digits": digits,
        "beyond_digits": beyond,
        "met": beyond <= TAPS_TARGET,
        "saved_s": saved_s,
        "steps": tally.steps,
    }


def screen_share(page, base, code, language):
    """Return the content share of the visit form's screen at its top and its middle."""
    page.goto(f"{base}/visits/new?household={code}&lang={language}")
    page.locator(SELECTORS["visit_form"]).wait_for()
    page.evaluate("async () => { await window.PwaApp.ready; }")
    top = page.evaluate(CHROME)
    page.evaluate(
        """() => new Promise((done) => {
             window.scrollTo(0, (document.documentElement.scrollHeight - innerHeight) / 2);
             requestAnimationFrame(() => requestAnimationFrame(done));
           })"""
    )
    middle = page.evaluate(CHROME)
    for where in (top, middle):
        where["share"] = 1 - where["covered"] / where["height"]
    return {"language": language, "top": top, "middle": middle}


def log_in(page, base, phone=PHONE, password=PASSWORD):
    """Log a volunteer in on a fresh phone and let the app install itself."""
    page.goto(f"{base}/login")
    page.fill("input[name=phone]", phone)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/")
    page.evaluate("async () => { await navigator.serviceWorker.ready; await window.PwaApp.ready; }")


def measure(base, codes, villages):
    """Two journeys (village not yet remembered, then remembered) and the visit form's screen.

    The households are two with no open welfare case in one of the volunteer's villages, so
    the journey is the plain loop: nothing on the form needs the volunteer but its choices.
    """
    village = max({code.rsplit("-", 1)[0] for code in codes})
    first, second = [code for code in codes if code.startswith(village + "-")][-2:]
    village = {"code": village, **villages[village]}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS, timeout=HANG_MS
        )
        context = browser.new_context(
            viewport={"width": WIDTH, "height": HEIGHT},
            device_scale_factor=2,
            is_mobile=True,
            has_touch=True,
            locale="th-TH",
            timezone_id="Asia/Bangkok",
        )
        context.set_default_timeout(HANG_MS)
        page = context.new_page()
        log_in(page, base)
        journeys = [
            {"when": when, **journey(page, base, code, village)}
            for when, code in (
                ("first visit (village not remembered yet)", first),
                ("next visit (village remembered)", second),
            )
        ]
        screens = [screen_share(page, base, second, language) for language in ("th", "en")]
        browser.close()
    return {"journeys": journeys, "screens": screens}


def main():
    """Measure against a demo server of our own and print the figures."""
    with tempfile.TemporaryDirectory() as folder:
        demo = demo_server(folder)
        try:
            result = measure(demo.base, demo.without_cases, demo.villages)
            print(json.dumps(result, indent=2, ensure_ascii=False))
        finally:
            load.stop(demo.process)


if __name__ == "__main__":
    main()
