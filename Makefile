# Enamel: `make demo` and `make test` work from a fresh clone (they create .venv).
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.enamel-installed

.PHONY: demo test bench bench-plan-gate lint clean install

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	@touch $@

install: $(STAMP)

# Runs the main job on the bundled example practice: prints the findings table and writes
# JSON, SARIF, JUnit, Markdown, CSV and HTML reports to reports/out/. The scan finds
# problems on purpose, so exit status 1 (findings at or above --fail-on) is expected here.
demo: $(STAMP)
	@$(BIN)/enamel demo --output-dir reports/out; rc=$$?; \
	if [ $$rc -le 1 ]; then echo "demo finished (enamel exit status $$rc; reports in reports/out/)"; else exit $$rc; fi

test: $(STAMP)
	$(BIN)/python -m pytest

bench: $(STAMP)
	$(BIN)/python bench/engine.py

# cold-process wall time of `enamel scan --pulumi infra/` (next to checkov start-up if installed)
bench-plan-gate: $(STAMP)
	bash bench/plan_gate.sh

clean:
	rm -rf $(VENV) reports/out .pytest_cache
