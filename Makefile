# The two commands of the README:
#   make run   - set up, build the demo city if there is no database, start the dashboard
#   make test  - set up (including Debian's chromium and CJK fonts, pyspark and Java 17) and run the whole test suite
PY ?= python3
VENV := .venv
VPY := $(VENV)/bin/python
PORT ?= 8501

.PHONY: run test test-quick setup setup-dev setup-spark browser-deps spark-deps demo bench screenshots clean

$(VENV)/.runtime: requirements.txt
	test -x $(VPY) || $(PY) -m venv $(VENV)
	$(VPY) -m pip install --disable-pip-version-check -q -r requirements.txt
	touch $@

$(VENV)/.dev: requirements-dev.txt requirements.txt $(VENV)/.runtime
	$(VPY) -m pip install --disable-pip-version-check -q -r requirements-dev.txt
	touch $@

# the Spark engine of the cube job (python -m sitrep cube --engine spark): tests only, not `make run`
$(VENV)/.spark: requirements-spark.txt $(VENV)/.dev
	$(VPY) -m pip install --disable-pip-version-check -q -r requirements-spark.txt
	touch $@

setup: $(VENV)/.runtime
setup-dev: $(VENV)/.dev
setup-spark: $(VENV)/.spark

demo: setup
	$(VPY) -m sitrep demo --if-missing

run: demo
	$(VPY) -m streamlit run serve.py --server.port $(PORT)

browser-deps:
	bash scripts/install_browser_deps.sh

spark-deps:
	bash scripts/install_spark_deps.sh

test: setup-dev setup-spark browser-deps spark-deps
	$(VPY) -m pytest

# the tests not marked slow, browser or spark: a quick check before a commit
test-quick: setup-dev
	$(VPY) -m pytest -q -n 2 -m "not slow and not browser and not spark"

bench: setup-dev
	$(VPY) -m sitrep bench import demo cube pages sessions briefing

# the README's screenshots (docs/screenshots/) from the demo city, in headless Chromium
screenshots: setup-dev browser-deps demo
	$(VPY) scripts/screenshots.py

clean:
	rm -rf $(VENV) data/*.duckdb data/demo_exports artifacts
