# The two commands of the README: `make run` (the bot) and `make test` (the test suite).
# Both create and use .venv/ at the repository root.
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp
# The LiteLLM proxy for tests/integration/test_litellm_openai.py: it pins its own openai, pydantic and
# FastAPI, so it gets a virtualenv of its own (~40 s to build).
LITELLM := .venv-litellm/bin/litellm
# llama-cpp-python (the `llm` extra) builds from source (~5 min on 2 cores; pip caches the wheel).
# Portable: the default -march=native build enables AMX here and dies with SIGILL elsewhere.
LLAMA_CMAKE_ARGS := -DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON \
                    -DGGML_BMI2=ON -DLLAVA_BUILD=OFF

.PHONY: run test lint bench clean-venv

$(STAMP): pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q torch==2.13.0
	CMAKE_ARGS="$(LLAMA_CMAKE_ARGS)" $(PY) -m pip install -q -e '.[dev,knowledge,llm]'
	touch $(STAMP)

run: $(STAMP)
	$(VENV)/bin/opsbot up

$(LITELLM):
	python3 -m venv .venv-litellm
	.venv-litellm/bin/pip install -q 'litellm[proxy]>=1.50,<2'

test: $(STAMP) $(LITELLM)
	scripts/ensure-debian-packages tests/debian-packages.txt
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy
	OPSBOT_TEST_LITELLM=$(CURDIR)/$(LITELLM) $(VENV)/bin/pytest -q

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy

clean-venv:
	rm -rf $(VENV)
