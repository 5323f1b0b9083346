# One virtualenv, made on first use; every target installs what it needs, at the versions locked in
# requirements-dev.lock (what the tests passed with). `make lock` refreshes the lock files.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# The installers themselves, pinned like everything else.
PIP := pip==26.3
PIP_TOOLS := pip-tools==7.7.0

.PHONY: install run demo test test-fast bench bench-smoke lint lock db-upgrade clean

$(STAMP): pyproject.toml requirements-dev.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet '$(PIP)'
	$(BIN)/pip install --quiet -r requirements-dev.lock
	$(BIN)/pip install --quiet --no-deps -e .
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(BIN)/piebot run

demo: $(STAMP)
	$(BIN)/piebot demo

db-upgrade: $(STAMP)
	$(BIN)/piebot db upgrade

# Every test, PostgreSQL included, then the benchmarks at a tiny size so they never rot.
test: $(STAMP)
	$(BIN)/ruff check piebot framework conversations tests bench
	$(BIN)/hadolint Dockerfile
	$(BIN)/pytest
	$(BIN)/python -m bench --smoke

test-fast: $(STAMP)
	$(BIN)/pytest -x -q -m "not slow"

bench: $(STAMP)
	$(BIN)/python -m bench

bench-smoke: $(STAMP)
	$(BIN)/python -m bench --smoke

lint: $(STAMP)
	$(BIN)/ruff check piebot framework conversations tests bench
	$(BIN)/hadolint Dockerfile

# Resolve pyproject.toml afresh into the lock files: requirements.lock for the image, requirements-dev.lock
# (with the test tools) for make and CI. Run the tests after, and commit both files with the change.
lock: $(STAMP)
	$(BIN)/pip install --quiet '$(PIP_TOOLS)'
	$(BIN)/pip-compile --quiet --upgrade --strip-extras --no-emit-index-url --no-emit-find-links -o requirements.lock pyproject.toml
	$(BIN)/pip-compile --quiet --upgrade --strip-extras --no-emit-index-url --no-emit-find-links --extra test -o requirements-dev.lock pyproject.toml
	$(BIN)/pip install --quiet -r requirements-dev.lock

clean:
	rm -rf $(VENV) demo-out .pytest_cache *.egg-info
