# The two commands of the README: `make demo` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin
# The CPU build of torch keeps the test install lean (the CUDA build is ~3 GB).
TORCH  ?= torch==2.13.0
export HANDNUM_DATA ?= $(abspath ../shared/data/mnist)

.PHONY: demo test install install-dev clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q "$(TORCH)"
	$(BIN)/pip install -q -e ".[dev,train,web,ray]"
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

demo: install
	$(BIN)/handnum read examples/sheet.jpg -o out/demo
	@echo "annotated image: out/demo/sheet.png   (truth: examples/truth.json)"

test: install-dev
	$(BIN)/python -m pytest

clean:
	rm -rf $(VENV) out build *.egg-info
