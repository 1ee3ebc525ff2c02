# The two commands of the README. Each builds its own virtual environment
# from scratch on a machine with only Python 3.11.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
BIN := $(VENV)/bin
PIP := $(BIN)/python -m pip install --disable-pip-version-check -q -c constraints.txt

.PHONY: demo test docs bench clean

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: $(BIN)/activate pyproject.toml constraints.txt
	$(PIP) torch==2.13.0
	$(PIP) -e ".[test,docs,plots]"
	touch $@

demo: $(VENV)/.installed
	$(BIN)/python -m skgen.demo

test: $(VENV)/.installed
	$(BIN)/python -m pytest -n 2 -q

docs: $(VENV)/.installed
	$(BIN)/sphinx-build -W --keep-going -q -b html docs docs/_build/html

bench: $(VENV)/.installed
	for f in benchmarks/bench_*.py; do $(BIN)/python $$f || exit 1; done

clean:
	rm -rf $(VENV) docs/_build docs/generated docs/auto_examples *.egg-info
