# Two commands a newcomer needs: `make demo` and `make test`. Both install what they need first.
VENV ?= .venv
PY := $(VENV)/bin/python
PORT ?= 8080
DEMO_FILES := fixtures/otlp-hotrod-dispatch-40spans-serial.json \
              fixtures/otlp-hotrod-dispatch-trimmed-16spans-retries.json \
              fixtures/jaeger-v1-opentracing-tutorial-3services-logs.json \
              fixtures/jaeger-v1-synthetic-load-generator-100traces.json

.PHONY: demo test screenshots wheel constraints install test-tools bench clean

demo: install
	$(VENV)/bin/vrmon serve --port $(PORT) $(addprefix --replay ,$(DEMO_FILES))

# Test files run in parallel, one whole file per worker (its browser and servers stay in one
# process): most of a test's time is spent waiting on a browser or a socket, not on a core.
test: install test-tools
	$(PY) -m pytest -q -n auto --maxprocesses 4 --dist loadfile

# The pictures in docs/img: a real server and headless Chromium, as the screenshot tests take them.
screenshots: install test-tools
	$(PY) -m pytest -q -m screenshots --screenshots docs/img tests/browser

bench: install test-tools
	$(PY) -m bench.run
	$(PY) -m bench.live
	$(PY) -m bench.otlp
	$(PY) -m bench.self_trace
	$(PY) -m bench.headset
	$(PY) -m bench.browser

install: $(VENV)/.installed node_modules/.installed static/bundle/manifest.json $(VENV)/.compiled

# vrmon's bytecode, compiled as installing a wheel does: `vrmon serve` then starts without compiling
# its ~120 modules first, every time where PYTHONDONTWRITEBYTECODE keeps Python from saving them
# (an edited module is compiled again when imported: Python checks each file's mtime and size).
$(VENV)/.compiled: $(VENV)/.installed $(shell find vrmon -name '*.py')
	$(PY) -m compileall -q vrmon
	touch $@

# constraints.txt pins every Python package to the versions the suite last passed with.
$(VENV)/.installed: pyproject.toml constraints.txt
	python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -c constraints.txt -e '.[test]'
	touch $@

# A self-contained wheel in dist/: setup.py puts the client and the npm files it serves (from
# node_modules/, as package-lock.json pins them) into the package; installing it needs no npm.
wheel: install
	rm -f dist/vrmon-*.whl
	$(PY) -m pip wheel -q --no-deps --wheel-dir dist .

constraints: install
	{ head -n 2 constraints.txt; $(PY) -m pip freeze --all --exclude-editable | grep -v '^pip=='; } > constraints.txt.new
	mv constraints.txt.new constraints.txt

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

# The client's code for the page's first load in a few files (esbuild, from npm) instead of ~75
# modules; while it is older than static/js the server serves the modules themselves.
static/bundle/manifest.json: node_modules/.installed scripts/build-client.mjs vrmon/client_files.py $(shell find static/js -name '*.js')
	node scripts/build-client.mjs

# Browser tests drive the system Chromium (Playwright's own browser download is not used) and
# read the 3D view with tesseract-ocr.
test-tools:
	@scripts/install-test-tools.sh

clean:
	rm -rf $(VENV) node_modules static/bundle .pytest_cache
