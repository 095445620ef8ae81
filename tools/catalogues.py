"""Keep the translation catalogues whole: extract, update, fill English, and check.

Usage: python tools/catalogues.py update   (after adding strings; then translate th.po)
       python tools/catalogues.py apply th FILE.json   (translations as {"id": "text"})
       python tools/catalogues.py check    (fails listing every untranslated entry)
"""

import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "pwa_app" / "translations"
TEMPLATE = TRANSLATIONS / "messages.pot"
LANGUAGES = ("th", "en")


def po_path(language):
    """Return the path of a language's catalogue."""
    return TRANSLATIONS / language / "LC_MESSAGES" / "messages.po"


def pybabel(*args):
    """Run pybabel from the same environment as this script."""
    subprocess.run(
        [sys.executable, "-m", "babel.messages.frontend", "-q", *args], check=True, cwd=ROOT
    )


def extract(output=TEMPLATE):
    """Extract every translatable string of the Python code and templates into a .pot file."""
    pybabel(
        "extract",
        "-F",
        "babel.cfg",
        "-k",
        "_l",
        "-k",
        "lazy_gettext",
        "--no-location",
        "--omit-header",
        "--sort-output",
        "-o",
        str(output),
        "pwa_app",
        "templates",
    )


def update():
    """Extract the strings, merge them into every catalogue, and fill English from the ids."""
    extract()
    for language in LANGUAGES:
        command = "update" if po_path(language).exists() else "init"
        pybabel(
            command,
            "-i",
            str(TEMPLATE),
            "-d",
            str(TRANSLATIONS),
            "-l",
            language,
            *(["--no-fuzzy-matching", "--ignore-obsolete"] if command == "update" else []),
        )
    fill_english()


def fill_english():
    """English is the source language: each English entry is its own id."""
    path = po_path("en")
    with path.open("rb") as handle:
        catalog = read_po(handle, locale="en")
    for message in catalog:
        if message.id and not _translated(message.string):
            message.string = message.id
    with path.open("wb") as handle:
        write_po(handle, catalog, omit_header=False, width=100)


def apply(language, mapping_file):
    """Set translations from a JSON file of {"English id": "translation"}."""
    import json

    mapping = json.loads(Path(mapping_file).read_text("utf-8"))
    path = po_path(language)
    with path.open("rb") as handle:
        catalog = read_po(handle, locale=language)
    for message in catalog:
        # A plural message is named by its singular id; Thai has one form for every number.
        key = message.id[0] if isinstance(message.id, tuple) else message.id
        if key in mapping:
            text = mapping[key]
            if isinstance(message.id, tuple):
                forms = text if isinstance(text, list) else [text]
                text = tuple(forms + forms[-1:] * (catalog.num_plurals - len(forms)))
            message.string = text
            message.flags.discard("fuzzy")
    with path.open("wb") as handle:
        write_po(handle, catalog, omit_header=False, width=100)


def missing(language, template=TEMPLATE):
    """Return the ids in the template that a catalogue lacks, leaves empty or marks fuzzy."""
    with po_path(language).open("rb") as handle:
        catalog = read_po(handle, locale=language)
    with Path(template).open("rb") as handle:
        template = read_po(handle)
    ids = {m.id for m in template if m.id}
    present = {m.id for m in catalog if m.id and _translated(m.string) and not m.fuzzy}
    return sorted(ids - present, key=str)


def _translated(string):
    """Tell whether a message's translation is there (every form of a plural one)."""
    return all(string) if isinstance(string, tuple) else bool(string)


def compile_all():
    """Compile every catalogue to its .mo file."""
    pybabel("compile", "-d", str(TRANSLATIONS))


if __name__ == "__main__":
    command = sys.argv[1] if len(sys.argv) > 1 else "check"
    if command == "update":
        update()
    elif command == "apply":
        apply(sys.argv[2], sys.argv[3])
    elif command == "compile":
        compile_all()
    else:
        import tempfile

        with tempfile.TemporaryDirectory() as folder:
            fresh = Path(folder) / "messages.pot"
            extract(fresh)
            gaps = {language: missing(language, fresh) for language in LANGUAGES}
        for language, ids in gaps.items():
            for message_id in ids:
                print(f"{language}: untranslated: {message_id!r}")
        sys.exit(1 if any(gaps.values()) else 0)
