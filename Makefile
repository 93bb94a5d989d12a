# Entry points for users, integrators and CI. Everything goes through scripts/devenv.py.
PYTHON ?= python3
SIZE ?= small
EXAMPLES ?= 2000

.PHONY: run test test-odoo fuzz bench lint pot screenshots clean

run:  ## serve Odoo on http://127.0.0.1:8069 with both modules and demo data (admin/admin)
	@$(PYTHON) scripts/devenv.py run

test:  ## every module test, root tests, demo install, upgrade, linters; ends with "N passed, N failed"
	@$(PYTHON) scripts/devenv.py test

test-odoo:  ## only the Odoo module tests (faster while developing)
	@$(PYTHON) scripts/devenv.py test --odoo-only

fuzz:  ## the credit invariant test with random seeds and many examples (EXAMPLES=2000), on a scratch database
	@CREDIT_CONTROL_FUZZ_EXAMPLES=$(EXAMPLES) CREDIT_CONTROL_FUZZ_RANDOM=1 $(PYTHON) scripts/devenv.py exec {python} -m odoo \
		-c .cache/odoo.conf -d cc_fuzz -i credit_control -u credit_control --without-demo=all --stop-after-init \
		--test-enable --test-tags /credit_control:TestCreditInvariant --http-port 18972 --log-level=test

bench:  ## build the benchmark database (SIZE=small|large) and run every scenario
	@$(PYTHON) scripts/devenv.py exec {python} bench/generate.py --preset $(SIZE)
	@$(PYTHON) scripts/devenv.py exec {python} bench/run.py --preset $(SIZE)

lint:
	@$(PYTHON) -m ruff check .
	@$(PYTHON) -m pylint --rcfile setup.cfg credit_control credit_control_insurance

screenshots:  ## retake docs/screenshots/*.png with the browser tours (a scratch database, both modules)
	@mkdir -p docs/screenshots
	@CREDIT_CONTROL_SCREENSHOTS=$(CURDIR)/docs/screenshots $(PYTHON) scripts/devenv.py exec {python} -m odoo \
		-c .cache/odoo.conf -d cc_screenshots -i credit_control_insurance -u credit_control,credit_control_insurance \
		--without-demo=all --stop-after-init \
		--test-enable --test-tags /credit_control:TestCreditControlUi,/credit_control_insurance:TestCreditInsuranceUi \
		--http-port 18971 --log-level=warn

pot:  ## regenerate the .pot files from a scratch database
	@$(PYTHON) scripts/devenv.py exec {python} scripts/export_pot.py

clean:  ## remove the private cluster, databases, filestore and caches
	rm -rf .cache
