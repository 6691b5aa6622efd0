# `make run` starts Passline; `make test` runs every check; `make screenshots` renders
# the views to docs/screenshots/; `make schema` prints the API's schema into
# docs/schema.graphql; `make dist` builds the bundle dist/passline/ and the installer
# dist/passline-<version>-linux-x86_64.tar.gz. Each creates .venv and
# install what pyproject.toml asks for, again only when pyproject.toml changed; `make test`
# also installs Debian's chromium (for tests/web/) when /usr/bin/chromium is missing.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DIST_STAMP := $(VENV)/.installed-dist
ARGS ?=

.PHONY: run test lint chromium bench screenshots schema dist clean

# pip, not python, says the virtualenv is made: a `python3 -m venv` that failed (no
# python3-venv on a fresh Debian/Ubuntu) leaves .venv/bin/python without pip behind,
# and that .venv is made again (--clear) rather than taken for done.
$(BIN)/pip:
	$(PYTHON) -m venv --clear $(VENV) || { echo "make: cannot create $(VENV): install \
	python3-venv (sudo apt-get install python3-venv), then run make again" >&2; exit 1; }

$(STAMP): pyproject.toml | $(BIN)/pip
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $(STAMP)

# The customer pages' browser tests (tests/web/) drive Debian's chromium through
# Playwright; Playwright's own browser download is never used.
CHROMIUM := /usr/bin/chromium
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

chromium:
	@[ -x $(CHROMIUM) ] || { $(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium; }

# Qt's X11 plugin needs system libraries a fresh desktop may lack: install them first.
run: $(STAMP)
	$(BIN)/python -m ui.qt_libraries --install $(ARGS)
	$(BIN)/python main.py $(ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

test: lint chromium
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest

bench: $(STAMP)
	$(BIN)/python -m bench

# The dashboard's main views as PNG, from a seeded demo database, rendered offscreen.
screenshots: $(STAMP) chromium
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m tools.screenshots docs/screenshots
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m tools.panel_screenshots docs/screenshots
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m tools.empty_board_screenshot docs/screenshots
	PASSLINE_WEB_SCREENSHOTS=docs/screenshots QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest \
		-q tests/web -k "placed_at_360px or pickup_screen"

# The checked-in contract of the API, printed from the code (tests/test_contract.py).
schema: $(STAMP)
	$(BIN)/python -m tools.schema

# PyInstaller goes into .venv only for this target (the `dist` extra).
$(DIST_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet -e ".[test,dist]"
	touch $(DIST_STAMP)

dist: $(DIST_STAMP)
	$(BIN)/pyinstaller --noconfirm --log-level WARN --distpath dist --workpath build \
		packaging/passline.spec
	sh packaging/tarball.sh

clean:
	rm -rf $(VENV) build dist .mypy_cache .pytest_cache .ruff_cache
