# The README's two commands: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
FLASK  := $(BIN)/flask --app pwa_app
STAMP  := $(VENV)/.installed-stamp
CHROMIUM ?= /usr/bin/chromium
LINTED := pwa_app tests bench tools migrations

.PHONY: install run test test-fast lint browser-deps messages bench bench-national bench-phone lighthouse clean

install: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	$(BIN)/python tools/catalogues.py compile
	touch $(STAMP)

# Serve the app on 127.0.0.1:5000 with the SQLite default and the demo data, and the background
# worker (pushes, reminders) beside it: stopping the server (Ctrl-C) stops the worker too.
run: install
	$(FLASK) db upgrade
	$(FLASK) demo seed --if-empty
	@$(FLASK) worker & worker=$$!; \
	trap 'kill $$worker 2>/dev/null; wait $$worker 2>/dev/null' EXIT INT TERM; \
	$(FLASK) run --host 127.0.0.1 --port 5000

# Everything: catalogue completeness, lint and format, unit and integration tests, the
# browser suite.
test: install browser-deps lint
	$(BIN)/python tools/catalogues.py check
	$(BIN)/pytest

# ruff: pyflakes, pycodestyle, import order and bugbear, and the code formatted as ruff does.
lint: install
	$(BIN)/ruff check $(LINTED)
	$(BIN)/ruff format --check $(LINTED)

# The suite without the browser tests, for a quick loop while coding.
test-fast: install
	$(BIN)/pytest -m "not browser"

# Debian's Chromium drives the browser suite and zbarimg reads printed QR cards back;
# install them when they are missing and we can.
browser-deps:
	@if [ ! -x "$(CHROMIUM)" ] || [ ! -x /usr/bin/zbarimg ]; then \
	  if command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then \
	    echo "installing Debian's chromium and zbar-tools for the browser tests"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium zbar-tools >/dev/null; \
	  else \
	    echo "error: the browser tests need Debian's 'chromium' and 'zbar-tools' (apt-get install chromium zbar-tools)" >&2; \
	    exit 1; \
	  fi; \
	fi
	@# Thai fonts, as on a phone, so pages are laid out (and pictured) with real Thai glyphs;
	@# the tests pass without them.
	@if [ ! -d /usr/share/fonts/truetype/tlwg ] && command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then \
	  { DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-thai-tlwg >/dev/null 2>&1 || \
	    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-thai-tlwg; } >/dev/null 2>&1 || true; }; \
	fi

# Speed and size, measured on this machine and written to docs/benchmarks.md.
# wrk (Debian's package) loads the gunicorn server; PostgreSQL at 127.0.0.1:5432 is used if up.
# Lighthouse comes from npm at the version bench/package-lock.json pins, into bench/node_modules.
bench: install browser-deps lighthouse
	@command -v wrk >/dev/null 2>&1 || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }
	$(BIN)/python -m bench.run

# A whole country on one PostgreSQL (not part of `make bench`): the first run seeds the database
# NATIONAL_DATABASE_URL (default pwa_national on 127.0.0.1; 1,000,000 households, 10,000,000
# visits, a quarter of an hour or so) and keeps it; later runs measure on it again.
bench-national: install
	@command -v wrk >/dev/null 2>&1 || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }
	$(BIN)/python -m bench.run national

# Only the phone figures (Lighthouse mobile, taps to a saved visit, screen left for content).
bench-phone: install browser-deps lighthouse
	$(BIN)/python -m bench.run phone

lighthouse:
	@[ -x bench/node_modules/.bin/lighthouse ] || npm ci --prefix bench --no-audit --no-fund

# After adding or changing user-visible strings: extract, merge, then translate th.po.
messages: install
	$(BIN)/python tools/catalogues.py update

clean:
	rm -rf $(VENV) .pytest_cache build *.egg-info bench/node_modules
