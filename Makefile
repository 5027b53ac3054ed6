# Enamel: `make demo` and `make test` work from a fresh clone (they create .venv).
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.enamel-installed
# checkov (the IaC gate) lives in its own virtualenv: it pins an exact, old boto3
CHECKOV_VENV    ?= .venv-checkov
CHECKOV_VERSION ?= 3.3.30
CHECKOV         := $(CHECKOV_VENV)/bin/checkov

.PHONY: coverage-doc demo test bench bench-aws bench-plan-gate lint clean install checkov setup system-deps

# Debian's Orthanc and nginx (on-prem tests and demo), installed with apt-get when missing.
system-deps:
	@sh scripts/install-system-deps.sh

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	@touch $@

install: $(STAMP)

# both virtualenvs at once: each pip run mostly waits on downloads and unpacking
setup:
	@$(MAKE) --no-print-directory -j2 $(STAMP) $(CHECKOV)

$(CHECKOV):
	@test -x $(CHECKOV_VENV)/bin/python || $(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/python -m pip install -q 'checkov==$(CHECKOV_VERSION)'

checkov: $(CHECKOV)

# Runs the main job on the bundled example practice: prints the findings table and writes
# JSON, SARIF, JUnit, Markdown, CSV and HTML reports to reports/out/. The scan finds
# problems on purpose, so exit status 1 (findings at or above --fail-on) is expected here.
demo: $(STAMP) system-deps
	@$(BIN)/enamel demo --output-dir reports/out; rc=$$?; \
	if [ $$rc -le 1 ]; then echo "demo finished (enamel exit status $$rc; reports in reports/out/)"; else exit $$rc; fi

# docs/coverage.md: the HIPAA anchors' checks and the rules that cite them (anchors/README.md)
coverage-doc: $(STAMP)
	$(BIN)/python scripts/coverage.py

# Tests write bytecode even where the environment says not to (PYTHONDONTWRITEBYTECODE): pytest
# keeps its assertion rewrites there, and re-parsing every test module costs seconds a run.
PYTEST := PYTHONDONTWRITEBYTECODE= $(BIN)/python -m pytest

test: setup system-deps
	@command -v chromium >/dev/null || (apt-get update && apt-get install -y chromium)  # renders the weekly email
	$(PYTEST) -n 2 --dist loadfile --no-loadscope-reorder  # both cores; a file's module-scoped servers stay in one worker; files in collection order (longest first, tests/conftest.py)

# everything that starts no process and needs no external server or Pulumi run (< 30 s);
# tests/conftest.py marks the rest (`servers`, `slow`)
test-fast: $(STAMP)
	$(PYTEST) -m "not servers and not slow" -q

# ruff: lint rules and the formatter's check (pyproject.toml [tool.ruff])
lint: $(STAMP)
	$(BIN)/python -m ruff check .
	$(BIN)/python -m ruff format --check .

bench: $(STAMP)
	$(BIN)/python bench/engine.py

# live AWS scan against a local moto server (N buckets + proportional resources)
bench-aws: $(STAMP)
	$(BIN)/python bench/aws_scan.py --sizes $${SIZES:-50,1000}
# cold-process wall time of `enamel scan --pulumi infra/` (next to checkov start-up if installed)
bench-plan-gate: $(STAMP)
	bash bench/plan_gate.sh

clean:
	rm -rf $(VENV) $(CHECKOV_VENV) reports/out .pytest_cache
