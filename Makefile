# The two commands of the README: `make run` (the bot) and `make test` (the test suite).
# Both create and use .venv/ at the repository root.
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp

.PHONY: run test lint bench clean-venv

$(STAMP): pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q torch==2.13.0
	$(PY) -m pip install -q -e '.[dev,knowledge]'
	touch $(STAMP)

run: $(STAMP)
	$(VENV)/bin/opsbot up

test: $(STAMP)
	scripts/ensure-debian-packages tests/debian-packages.txt
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy
	$(VENV)/bin/pytest -q

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy

clean-venv:
	rm -rf $(VENV)
