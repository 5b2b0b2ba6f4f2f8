# Quick start: `make run` (install, ingest the bundled abstracts if needed, serve the UI) and `make test`.
PY      ?= python3.11
VENV    := .venv
BIN     := $(VENV)/bin
STAMP   := $(VENV)/.install-stamp
HOST    ?= 127.0.0.1
PORT    ?= 7860
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export ANONYMIZED_TELEMETRY := False

.PHONY: install run test test-fast lint format ingest browser bench clean

install: $(STAMP)

# Idempotent: only re-runs when pyproject.toml changes or the venv is missing.
# torch is installed first, pinned, so that no CUDA build is ever pulled in.
$(STAMP): pyproject.toml
	@command -v $(PY) >/dev/null 2>&1 || { echo "error: $(PY) not found; set PY=/path/to/python3.11"; exit 1; }
	@test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install --quiet --disable-pip-version-check torch==2.13.0
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	@touch $(STAMP)

ingest: install
	$(BIN)/rag ingest

run: install
	$(BIN)/rag ingest --quiet
	$(BIN)/rag ui --host $(HOST) --port $(PORT)

# Debian's chromium for the browser test; never a downloaded browser.
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null) \
	      || echo "warning: could not install chromium; the browser test will be skipped"; \
	  else echo "note: chromium not installed; the browser test will be skipped"; fi; }

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# Everything: lint, then every test (the slowest 15 are listed at the end).
test: install browser
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m pytest -q --durations=15 $(PYTEST_ARGS)

# Unit tests only (no slow end-to-end, server or browser tests): under a minute.
test-fast: install
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -q -m "not slow and not browser" --durations=10 $(PYTEST_ARGS)

bench: install
	$(BIN)/rag bench

clean:
	rm -rf store/chroma store/*.json store/*.npz store/*.lock store/onnx eval/runs
