# Two entry points for a fresh machine: `make demo` (the main job on the sample
# corpus) and `make test` (the whole suite). Both create .venv when it is missing
# and install torch==2.13.0 before anything that depends on torch: that version is
# the local CPU wheel, and any other request pulls several GB of CUDA packages.

PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip -q --disable-pip-version-check
DEMO ?= demo-workspace
STAMP := $(VENV)/.installed-dev

.PHONY: demo test test-fast lint clean-demo

$(PY):
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(PY)
	$(PIP) install torch==2.13.0 2>&1 | grep -v "^WARNING: Location" || true
	$(PIP) install -e '.[dev,local,bench]' 2>&1 | grep -v "^WARNING: Location" || true
	$(PY) -c "import curator, torch, transformers, textual, llama_cpp" && touch $@

# The whole flow on the sample corpus, offline, in about ten minutes on two CPU cores:
# the bundled Gemma 3 270M extracts from two transcript chunks (about a minute each),
# the smoke preset trains a LoRA adapter for a few steps and eval compares it with the base.
DEMO_CHUNKS ?= 2
CUR := $(VENV)/bin/curator -w $(DEMO)

demo: $(STAMP)
	rm -rf $(DEMO)
	$(VENV)/bin/curator init $(DEMO)
	$(CUR) add corpora/sample
	$(CUR) extract --limit $(DEMO_CHUNKS)
	$(CUR) filter
	$(CUR) version create -m "sample corpus (demo)" --include-pending
	$(CUR) export latest --format openai --out $(DEMO)/exports --force
	$(CUR) train latest --preset smoke
	$(CUR) eval --last
	$(CUR) status

test: $(STAMP)
	$(PY) -m pytest

test-fast: $(STAMP)
	$(PY) -m pytest -m "not slow"

lint: $(STAMP)
	$(VENV)/bin/ruff check curator trainer benchmarks tests

clean-demo:
	rm -rf $(DEMO)
