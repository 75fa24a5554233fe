# The two commands a new user needs: `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin

.PHONY: setup demo test messages clean

$(BIN)/oerhub: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(BIN)/oerhub

setup: $(BIN)/oerhub

demo: setup        ## serve sample repositories on 127.0.0.1, harvest them, print how to browse
	$(BIN)/oerhub demo --serve

test: setup        ## set up and run the whole test suite
	$(BIN)/pytest -n auto

LOCALES := oerhub/publish/locales
messages: setup    ## extract the site's texts to site.pot and add the new ones to every site.po
	$(BIN)/pybabel extract -F $(LOCALES)/babel.cfg -k N_ --no-location --sort-output \
	    --project oerhub -o $(LOCALES)/site.pot .
	$(BIN)/pybabel update -i $(LOCALES)/site.pot -d $(LOCALES) -D site --no-fuzzy-matching \
	    --width 100

clean:
	rm -rf $(VENV) data/demo *.egg-info
