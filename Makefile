# envol — two commands from a fresh clone:  `make demo`  and  `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export ENVOL_DATA_DIR ?= $(CURDIR)/var

.PHONY: demo test venv messages vendor system-deps pdf-deps postgres-server testservers lint pytest pytest-postgres test-clock sandbox bench bench-deps clean

## Install everything, seed the demo organisation and serve on http://127.0.0.1:8000
demo: venv messages vendor testservers postgres-server pdf-deps
	$(BIN)/envol demo

## ruff, mypy, import-linter; the whole suite on SQLite; the tests that touch the database again on
## PostgreSQL; the suite without its browser tests under four fake clocks (CLOCK=no skips them).
## The phases run TEST_JOBS at a time (default 2: each is mostly one process on one core), each
## with its own data folder and log (var/phases/), printed whole when it ends. Every phase runs
## even when another failed; the command fails at the end, naming the phases that failed.
CLOCK ?= yes
CLOCK_SCENARIOS := new-year paris-evening dst-spring dst-autumn
TEST_JOBS ?= 2
# also available: last-hour (23:00 UTC: a daily window resets within the hour), `make test-clock-last-hour`
test: venv messages vendor system-deps testservers
	@scripts/run-phases $(TEST_JOBS) pytest pytest-postgres lint $(if $(filter yes,$(CLOCK)),$(addprefix test-clock-,$(CLOCK_SCENARIOS)))

$(VENV)/.installed: pyproject.toml requirements.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.lock
	$(BIN)/pip install --quiet --no-deps -e .
	touch $@

venv: $(VENV)/.installed

messages: venv
	@command -v msgfmt >/dev/null || { [ "$$(id -u)" = 0 ] && apt-get install -y -qq gettext >/dev/null; } || true
	cd envol && ../$(BIN)/django-admin compilemessages --settings=envol.settings --pythonpath=.. -v 0

## Browser libraries from npm, copied into the static files (never a CDN: the CSP allows envol's own only)
vendor:
	bash vendor/zipjs/install.sh

## Debian packages the report's PDF needs (WeasyPrint draws with Pango; DejaVu is its font).
PDF_LIBS := libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core
pdf-deps:
	@need=""; for p in $(PDF_LIBS); do dpkg -s $$p >/dev/null 2>&1 || need="$$need $$p"; done; \
	if [ -n "$$need" ]; then \
	  if [ "$$(id -u)" = 0 ]; then echo "Installing Debian packages:$$need"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$need >/dev/null; \
	  else echo "Missing Debian packages:$$need (install them as root: the PDF report needs them)"; fi; \
	fi

## Debian packages the tests need: chromium (browser tests), PostgreSQL server binaries, gettext,
## poppler-utils (the report's pages as PNG, its text), and the PDF libraries above.
system-deps: pdf-deps
	@need=""; \
	command -v chromium >/dev/null || need="$$need chromium"; \
	ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need="$$need postgresql"; \
	command -v msgfmt >/dev/null || need="$$need gettext"; \
	command -v pdftoppm >/dev/null || need="$$need poppler-utils"; \
	if [ -n "$$need" ]; then \
	  if [ "$$(id -u)" = 0 ]; then echo "Installing Debian packages:$$need"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$need >/dev/null; \
	  else echo "Missing Debian packages:$$need (install them as root; the tests needing them will say so)"; fi; \
	fi

## The real Bluesky PDS, axe-core (accessibility checks of the browser tests) and twitter-text (the
## reference of X counts), from npm, cached
testservers:
	bash testservers/bluesky/install.sh
	bash testservers/axe/install.sh
	bash testservers/twitter-text/install.sh

## PostgreSQL server binaries (Debian `postgresql`, as root) for the sandbox's Bluesky AppView;
## without them the sandbox runs with no AppView and says so.
postgres-server:
	@ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || [ "$$(id -u)" != 0 ] || { \
	  echo "Installing Debian packages: postgresql"; apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null; }

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy envol bench
	$(BIN)/lint-imports

pytest: venv
	$(BIN)/pytest --durations=20

pytest-postgres: venv
	$(BIN)/pytest --db=postgres --durations=20

## The suite on SQLite, each test starting one second before a risky instant (libfaketime:
## see envol/testing/faketime.py): New Year in UTC, half an hour before midnight in Paris, and
## each change of hour in Europe/Paris.
## Browser tests are left out: Chromium runs on the real clock. Tests running envol as a threaded
## child process (serve, worker) run under the fake clock only with ENVOL_CLOCK_ALL=1 (slow).
test-clock: $(addprefix test-clock-,$(CLOCK_SCENARIOS))

test-clock-%: venv
	$(BIN)/pytest --clock=$* -m "not browser" --durations=20

sandbox: venv messages vendor testservers postgres-server
	$(BIN)/envol sandbox

## wrk (Debian), the HTTP load generator of bench/web_load.py
bench-deps:
	@command -v wrk >/dev/null || { [ "$$(id -u)" = 0 ] && apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; } || echo "Missing Debian package: wrk (install it as root)"

## Every benchmark (each prints one JSON line of figures and bars); fails when any bar is missed
bench: venv testservers system-deps bench-deps
	@missed=""; for b in bench/*.py; do echo "== $$b (load $$(cut -d" " -f1-3 /proc/loadavg))"; $(BIN)/python $$b || missed="$$missed $$b"; done; \
	if [ -n "$$missed" ]; then echo "bars missed or bench failed:$$missed"; exit 1; fi

clean:
	rm -rf $(VENV) var artifacts .pytest_cache .mypy_cache .ruff_cache
