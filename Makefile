# The front door: `make demo` and `make test` work on a fresh machine.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp

.PHONY: venv test lint format demo bench template docs picture clean

venv: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test]'
	touch $(STAMP)

lint: venv
	$(VENV)/bin/ruff check abmxl tests bench
	$(VENV)/bin/ruff format --check abmxl tests bench

format: venv
	$(VENV)/bin/ruff check --fix abmxl tests bench
	$(VENV)/bin/ruff format abmxl tests bench

test: lint
	$(PY) -m pytest

demo: venv
	$(VENV)/bin/abmxl demo

bench: venv
	$(PY) -m bench

template: venv
	$(VENV)/bin/abmxl template --force workbook_templates/abm_template.xlsm

# The README's picture: the refreshed demo's Funnel Summary (needs LibreOffice).
picture: demo
	cp demo/funnel_summary.png docs/img/funnel_summary.png

docs: venv
	$(PY) -m abmxl.docgen docs/functions.md

clean:
	rm -rf build *.egg-info .pytest_cache .ruff_cache demo
