# The two commands a newcomer needs are `make run` and `make test`; both set everything up.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install run test lint bench migrate seed-demo lock clean

install: $(STAMP)

$(STAMP): pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements.lock
	$(BIN)/pip install --quiet --disable-pip-version-check --no-deps -e .
	@# Bytecode for our own modules, as pip writes it for installed packages: `booking serve`
	@# then starts without compiling them, even where Python is told not to write bytecode.
	$(BIN)/python -m compileall -q src
	@touch $(STAMP)

run: install
	$(BIN)/booking migrate
	$(BIN)/booking seed-demo
	$(BIN)/booking serve

test: install
	$(BIN)/pytest

lint: install
	$(BIN)/ruff check .
	$(BIN)/mypy

bench: install
	$(BIN)/python -m benchmarks

migrate: install
	$(BIN)/booking migrate

seed-demo: install
	$(BIN)/booking seed-demo

# Re-pin exact versions after changing dependencies in pyproject.toml.
lock: install
	$(BIN)/pip install --quiet uv
	$(BIN)/uv pip compile pyproject.toml --extra dev --no-emit-index-url --python-version 3.11 -o requirements.lock

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
