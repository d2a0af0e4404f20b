# The two commands a newcomer needs are `make run` and `make test`; both set everything up.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install run test lint bench migrate seed-demo lock clean

install: $(STAMP)

# One line per step, so a first install (a few minutes) never looks stuck.
$(STAMP): pyproject.toml requirements.lock
	@echo "make: creating $(VENV) with $(PYTHON)"
	@$(PYTHON) -m venv $(VENV)
	@echo "make: installing pinned dependencies from requirements.lock (a few minutes the first time)"
	@$(BIN)/pip install --quiet --disable-pip-version-check -r requirements.lock
	@echo "make: installing booking itself into $(VENV)"
	@$(BIN)/pip install --quiet --disable-pip-version-check --no-deps -e .
	@# Bytecode for our own modules, as pip writes it for installed packages: `booking serve`
	@# then starts without compiling them, even where Python is told not to write bytecode.
	@echo "make: compiling booking's modules"
	@$(BIN)/python -m compileall -q src
	@touch $(STAMP)
	@echo "make: $(VENV) is ready"

run: install
	@echo "make: migrating the database (DATABASE_URL; by default ./data/booking.db)"
	@$(BIN)/booking migrate
	@echo "make: creating the demo business unless the database has one"
	@$(BIN)/booking seed-demo
	@echo "make: starting the server: it logs \"serving\", its address and the web page's (/admin);"
	@echo "make: sign in there with the admin token printed above, or a one-time link from"
	@echo "make: .venv/bin/booking admin-link (the API: Authorization: Bearer bk_...)"
	@$(BIN)/booking serve

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
