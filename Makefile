# One virtualenv, made on first use; every target installs what it needs.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install run demo test test-fast bench bench-smoke lint db-upgrade clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
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

clean:
	rm -rf $(VENV) demo-out .pytest_cache *.egg-info
