# Two commands a newcomer needs: `make demo` and `make test`. Both install what they need first.
VENV ?= .venv
PY := $(VENV)/bin/python
PORT ?= 8080
DEMO_FILES := fixtures/otlp-hotrod-dispatch-40spans-serial.json \
              fixtures/otlp-hotrod-dispatch-trimmed-16spans-retries.json \
              fixtures/jaeger-v1-opentracing-tutorial-3services-logs.json \
              fixtures/jaeger-v1-synthetic-load-generator-100traces.json

.PHONY: demo test install test-tools bench clean

demo: install
	$(VENV)/bin/vrmon serve --port $(PORT) $(addprefix --replay ,$(DEMO_FILES))

test: install test-tools
	$(PY) -m pytest -q

bench: install test-tools
	$(PY) -m bench.run
	$(PY) -m bench.live
	$(PY) -m bench.headset
	$(PY) -m bench.browser

install: $(VENV)/.installed node_modules/.installed

$(VENV)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test]'
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

# Browser tests drive the system Chromium (Playwright's own browser download is not used) and
# read the 3D view with tesseract-ocr.
test-tools:
	@scripts/install-test-tools.sh

clean:
	rm -rf $(VENV) node_modules .pytest_cache
