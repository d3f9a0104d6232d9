# Two commands do everything on a fresh clone: `make run` and `make test`.
# Both create .venv themselves and install only the pinned versions of the lock files.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PIP := $(BIN)/python -m pip --disable-pip-version-check -q
APP := $(BIN)/smartap-erp

.PHONY: run test test-slow lint typecheck lock install install-dev clean bench screenshots

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Stamps re-install only when a lock file or pyproject.toml changes.
$(VENV)/.runtime-installed: requirements.lock pyproject.toml | $(BIN)/python
	$(PIP) install --require-hashes -r requirements.lock
	$(PIP) install --no-build-isolation --no-deps -e .
	touch $@

$(VENV)/.dev-installed: requirements-dev.lock pyproject.toml | $(BIN)/python
	$(PIP) install --require-hashes --no-deps -r requirements-dev.lock  # complete lock; see [tool.uv] in pyproject
	$(PIP) install --no-build-isolation --no-deps -e .
	touch $@ $(VENV)/.runtime-installed

install: $(VENV)/.runtime-installed
install-dev: $(VENV)/.dev-installed

# The demo: four simulated ERPs, a whole sync cycle, then the REST API (on PORT, with an admin key
# printed) and the worker until Ctrl-C.
PORT ?= 8000
run: install
	$(APP) db upgrade
	$(APP) demo --api --port $(PORT)

test: install-dev
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy
	$(BIN)/pytest -n 2 --dist loadgroup

test-slow: install-dev
	$(BIN)/pytest -n 2 --dist loadgroup -m slow

lint: install-dev
	$(BIN)/ruff check src tests
	$(BIN)/ruff format --check src tests

typecheck: install-dev
	$(BIN)/mypy

# Regenerate the lock files (needs network access to PyPI).
lock: install-dev
	$(PIP) install uv==0.13.9
	$(BIN)/uv pip compile pyproject.toml requirements-build.in --python-version 3.11 --generate-hashes -o requirements.lock
	$(BIN)/uv pip compile pyproject.toml requirements-build.in --extra dev --python-version 3.11 --generate-hashes -c requirements.lock -o requirements-dev.lock

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache

# Refresh the screenshots docs/ui.md shows (the browser tests save one per screen).
screenshots: install-dev
	SMARTAP_UI_SCREENSHOTS=docs/ui $(BIN)/pytest tests/ui -k sqlite -q
