# borderwatch: `make demo` runs the whole system on embedded defaults, `make test` runs the tests.
# Both create .venv on first use. Services the tests need are installed from Debian when missing
# (as root); the tests start their own Mosquitto / VictoriaMetrics instances on free ports.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
DEMO_SECONDS ?= 180
PYTEST_ARGS ?=
EVAL_ARGS ?=

.PHONY: help venv demo eval test test-fast bench lint format schema services photos model model-thermal model-radar clean

help:
	@echo "make demo        run broker, hub, simulated site and its agent; stream alerts (DEMO_SECONDS=$(DEMO_SECONDS))"
	@echo "make eval        play the scenario library through the pipeline; table vs floors in .eval/<time>/"
	@echo "make test        install what the tests need and run them all"
	@echo "make test-fast   unit tests only (no chaos or long end-to-end runs)"
	@echo "make bench       benchmarks: side-by-side ratios (ours vs raw library)"
	@echo "make lint        ruff"
	@echo "make schema      regenerate docs/contract/ from the wire contract"
	@echo "make model       render training data on real photographs, fine-tune, export, evaluate the camera model"
	@echo "make model-thermal  render thermal chips, train, export and evaluate the thermal classifier (minutes)"
	@echo "make model-radar train, export and evaluate the radar track classifier (about a minute)"

venv: $(STAMP)

$(STAMP): pyproject.toml
	@test -n "$(PYTHON)" || { echo "Python 3.11+ is required (python3.11 or python3 on PATH)"; exit 1; }
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { echo "Python >= 3.11 required"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/borderwatch --log-level warning demo --seconds $(DEMO_SECONDS)

services:
	@command -v mosquitto >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get install -y -q mosquitto mosquitto-clients >/dev/null; \
	  else echo "mosquitto missing: sudo apt-get install mosquitto"; exit 1; fi; }
	@command -v victoria-metrics >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get install -y -q victoria-metrics >/dev/null || \
	    { apt-get update -q >/dev/null && apt-get install -y -q victoria-metrics >/dev/null; }; \
	  else echo "victoria-metrics missing: sudo apt-get install victoria-metrics"; exit 1; fi; }
	@{ test -x /usr/bin/chromium && test -x /usr/bin/chromedriver; } || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get install -y -q chromium chromium-driver >/dev/null || \
	    { apt-get update -q >/dev/null && apt-get install -y -q chromium chromium-driver >/dev/null; }; \
	  else echo "chromium missing (console browser test): sudo apt-get install chromium chromium-driver"; exit 1; fi; }
	@$(MAKE) --no-print-directory photos PHOTO_PACKAGES=opencv-doc
	@echo "services: mosquitto $$(command -v mosquitto), victoria-metrics $$(command -v victoria-metrics), chromium /usr/bin/chromium"

# Real photographs and clips that Debian packages ship (models/train/photos.py lists each file and its
# role): opencv-doc's samples (the camera tests' real static clip, tree.avi, and the model's held-out
# real images) and mate-backgrounds' photographs (training backgrounds).
PHOTO_PACKAGES ?= opencv-doc mate-backgrounds
photos:
	@dpkg -s $(PHOTO_PACKAGES) >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get install -y -q --no-install-recommends $(PHOTO_PACKAGES) >/dev/null || \
	    { apt-get update -q >/dev/null && apt-get install -y -q --no-install-recommends $(PHOTO_PACKAGES) >/dev/null; }; \
	  else echo "photographs missing: sudo apt-get install $(PHOTO_PACKAGES)"; exit 1; fi; }

eval: $(STAMP)
	$(BIN)/borderwatch --log-level warning eval $(EVAL_ARGS)

test: $(STAMP) services
	$(BIN)/python -m pytest $(PYTEST_ARGS)

test-fast: $(STAMP)
	$(BIN)/python -m pytest -m "not integration and not slow" $(PYTEST_ARGS)

bench: $(STAMP) services
	@for b in bench/bench_*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff format .

schema: $(STAMP)
	$(BIN)/python -m borderwatch.contract.schema

model: $(STAMP) photos
	$(BIN)/python -m pip install -q -e '.[train]'
	$(BIN)/python -m borderwatch.models.train.pipeline

model-thermal: $(STAMP)
	$(BIN)/python -m pip install -q -e '.[train]'
	$(BIN)/python -m borderwatch.models.train.thermal

model-radar: $(STAMP)
	$(BIN)/python -m pip install -q -e '.[train]'
	$(BIN)/python -m borderwatch.models.train.radar

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache var .demo .eval
