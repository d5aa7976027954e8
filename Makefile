# leadline: `make run` starts the whole system, `make test` runs the whole suite.
# Needs only Python 3.11 and make; everything else is installed into .venv from PyPI.
PYTHON ?= $(shell command -v python3.11 2>/dev/null || command -v python3)
VENV ?= .venv
BIN := $(VENV)/bin
PACKAGES := libs/events libs/phones libs/platform libs/fakegraph services/ingest services/router services/leads services/history services/web libs/cli
STAMP := $(VENV)/.installed-stamp

.PHONY: install run test test-fast soak bench schemas docs clean

$(STAMP): requirements-dev.txt $(addsuffix /pyproject.toml,$(PACKAGES))
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt $(addprefix -e ,$(PACKAGES))
	@touch $@

install: $(STAMP)

run: install
	$(BIN)/leadline run

# Two workers (TEST_WORKERS=0: one process); tests/conftest.py groups the tests that must share one.
TEST_WORKERS ?= 2
test: install
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadgroup --no-loadscope-reorder $(PYTEST_ARGS)

test-fast: install
	$(BIN)/python -m pytest tests/unit tests/contract $(PYTEST_ARGS)

# The whole-system fault suite, repeated for LEADLINE_SOAK_SECONDS (default 10 minutes) of faults and load.
soak: install
	soak=$${LEADLINE_SOAK_SECONDS:-600}; LEADLINE_SOAK_SECONDS=$$soak $(BIN)/python -m pytest \
	  tests/e2e/test_whole_system_under_faults.py -s --timeout=$$((2 * soak + 600)) $(PYTEST_ARGS)

bench: install
	$(BIN)/python -m leadline.bench

schemas: install
	$(BIN)/python -m leadline.events.schemas export
	$(BIN)/python -m leadline.events.docs > docs/events.md

clean:
	rm -rf $(VENV) var
