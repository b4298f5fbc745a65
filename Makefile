# Every target sets up .venv from uv.lock first when it is missing or stale.
SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
UV_VERSION := 0.13.8
UV := $(or $(shell command -v uv 2>/dev/null),$(CURDIR)/.tools/bin/uv)
VENV := $(CURDIR)/.venv
export PATH := $(VENV)/bin:$(PATH)
# Use this machine's Python; never download one.
export UV_PYTHON ?= $(shell command -v $(PYTHON))
export UV_PYTHON_DOWNLOADS := never
REPRO_LOG := .dvc/tmp/repro.log

.PHONY: help setup setup-dev run repro init new-batch land replay history check serve monitor exp-show queue-wait select-best champion register promote params params-check lint dvc-check format test test-fast bench remote push pull retrain-branch retrain-pr drift-alert clean
.PHONY: .status-land .status-check .status-monitor .status-queue-wait

# GNU make exits 2 whenever a recipe fails, whatever its command's code. The targets below wrap
# a command whose code means something (check: 0 pass, 1 a check failed, 2 cannot tell), and
# exit with it when run on their own: make then runs in question mode (-q), the one mode in
# which make itself exits 1. Their command runs on a `+` line (question mode runs those), after
# a make of its own has set up .venv, and records its code; the target's recipe is then empty
# (make exits 0), a line question mode does not run (make exits 1), or a line that fails (make
# exits 2). With other targets (`make pull run check`) make runs as usual: any failure is 2.
STATUS_GOALS := check monitor queue-wait land
STATUS_FILE := .dvc/tmp/make-status-$(shell echo $$PPID)
ifneq ($(filter $(STATUS_GOALS),$(MAKECMDGOALS)),)
ifeq ($(words $(MAKECMDGOALS)),1)
MAKEFLAGS += -q
QUESTION_MODE := 1
endif
endif

# $(call status_of,COMMAND): set up .venv outside question mode, run COMMAND, keep its code.
define status_of
+@env -u MAKEFLAGS -u MFLAGS $(MAKE) --no-print-directory setup $(MAKEOVERRIDES)
+@mkdir -p $(dir $(STATUS_FILE)); status=0; $(1) || status=$$?; echo $$status > $(STATUS_FILE)
endef

# Exit as the command did: expanded once the target's prerequisite has run it (one line: the
# lines of a multi-line variable would run as one, `+` for all).
exit_status = $(call exit_as,$(file <$(STATUS_FILE))$(shell rm -f $(STATUS_FILE)))
exit_as = $(if $(filter 0,$(1)),,$(if $(and $(QUESTION_MODE),$(filter 1,$(1))),@:,+@exit $(or $(1),2)))

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-13s %s\n", $$1, $$2}'

$(CURDIR)/.tools/bin/uv:
	$(PYTHON) -m venv .tools
	.tools/bin/python -m pip install --quiet "uv==$(UV_VERSION)"

# Two environments from one lockfile: the pipeline's own dependencies (make run and every
# everyday command), and the test and lint tools on top of them (make test, lint, format,
# bench). A .venv that holds the dev tools already holds the runtime: it is not shrunk back.
# Bytecode: where PYTHONDONTWRITEBYTECODE is set (many CI and container images) Python never
# keeps what it compiles, and every stage process would recompile its imports (16 s of a 42 s
# cold run), so the whole environment is compiled here once (about 30 s). Elsewhere Python
# writes it at first import, for the modules in use alone, and a sync takes seconds.
COMPILE_BYTECODE := $(if $(PYTHONDONTWRITEBYTECODE),--compile-bytecode)
$(VENV)/.synced: uv.lock pyproject.toml | $(UV)
	@if [ -f $(VENV)/.synced-dev ] && [ ! $(VENV)/.synced-dev -ot uv.lock ] \
		&& [ ! $(VENV)/.synced-dev -ot pyproject.toml ]; then :; \
	else $(UV) sync --frozen --no-dev $(COMPILE_BYTECODE); fi
	@touch $@

$(VENV)/.synced-dev: uv.lock pyproject.toml | $(UV)
	$(UV) sync --frozen $(COMPILE_BYTECODE)
	@touch $@ $(VENV)/.synced

setup: $(VENV)/.synced ## Create .venv from uv.lock: the pipeline only (installs uv with pip if missing)
	@mkdir -p data/landing models/champion  # landed batches, the pinned champion: git cannot hold empty folders
	@python -m compileall -q src  # the project's own modules (checked by mtime: cheap when current)

setup-dev: $(VENV)/.synced-dev setup ## .venv with the test and lint tools too

run: setup ## Run the whole pipeline (dvc repro, independent stages at once) and print a summary; JOBS=N, DATASET=name
	@mkdir -p $(dir $(REPRO_LOG))
	$(if $(DATASET),dvc exp run -S dataset=$(DATASET),python -m pipeline.cli repro $(if $(JOBS),-j $(JOBS))) 2>&1 | tee $(REPRO_LOG)
	@python -m pipeline.cli summary --repro-log $(REPRO_LOG)

repro: run

init: setup ## Your own table: make init FILE=data.csv TARGET=col [BATCH=col BY=year TASK= POSITIVE= DROP="a b" NAME= FORCE=1]
	python -m pipeline.cli init $(or $(FILE),$(error set FILE, e.g. make init FILE=sales.csv TARGET=units)) \
		--target $(or $(TARGET),$(error set TARGET, the column to predict)) \
		$(if $(BATCH),--batch-column $(BATCH)) $(if $(BY),--batch-by $(BY)) \
		$(if $(BATCH_ID),--batch-id $(BATCH_ID)) $(if $(TASK),--task $(TASK)) \
		$(if $(POSITIVE),--positive $(POSITIVE)) \
		$(if $(DROP),--drop $(DROP)) $(if $(NAME),--name $(NAME)) $(if $(FORCE),--force)

new-batch: setup ## Land a real month of new data and dvc add it (MONTH=7)
	python -m pipeline.cli new-batch --month $(or $(MONTH),$(error set MONTH, e.g. make new-batch MONTH=7))

land: .status-land ## Your next batch: make land FILE=2025.csv [BATCH=id REPLACE=1]; exit 0 landed, 1 refused
	$(exit_status)
.status-land:
	$(call status_of,python -m pipeline.cli land $(or $(FILE),$(error set FILE: make land FILE=2025.csv)) $(if $(BATCH),--batch $(BATCH)) $(if $(REPLACE),--replace))

check: .status-check ## The monitoring gate on the last run: exit 0 pass, 1 a check failed, 2 cannot tell
	$(exit_status)
.status-check:
	$(call status_of,python -m pipeline.cli check)

serve: setup ## Serve the model on 127.0.0.1:8000 (docs at /docs); MODEL=file, WORKERS=2
	python -m pipeline.cli serve $(if $(MODEL),--model $(MODEL)) $(if $(WORKERS),--workers $(WORKERS))

monitor: .status-monitor ## Drift and live quality of the served traffic, with the gate (exit 0/1/2)
	$(exit_status)
.status-monitor:
	$(call status_of,python -m pipeline.cli monitor)

exp-show: setup ## Experiments side by side: params that vary, key metrics, best first
	python -m pipeline.cli exp-show $(if $(METRIC),--metric $(METRIC))

queue-wait: .status-queue-wait ## Wait for the queued experiments (after dvc queue start): k of N done; exit 1 if one failed
	$(exit_status)
.status-queue-wait:
	$(call status_of,python -m pipeline.cli queue-wait)

select-best: setup ## Apply the best experiment if it beats the committed model (METRIC=, MIN=)
	python -m pipeline.cli select-best $(if $(METRIC),--metric $(METRIC)) $(if $(MIN),--min-improvement $(MIN))

replay: setup ## Replay held-back batches up to TO (make replay TO=2013-12 [FOLDER=dir BRANCH=replay]): one commit each
	python -m pipeline.cli replay --to $(or $(TO),$(error set TO, e.g. make replay TO=2013-12)) $(if $(FOLDER),--folder $(FOLDER)) $(if $(BRANCH),--branch $(BRANCH))

history: setup ## reports/history.html: each batch commit of this branch (decay, drift, decision), offline
	python -m pipeline.cli history

champion: setup ## Pin the model the next run compares with: prod's version, else BASE's (default HEAD) dvc.lock model
	python -m pipeline.cli champion $(if $(BASE),--base $(BASE))

register: setup ## Tag this commit's model as a new version (GTO) and push it to the remote
	python -m pipeline.cli register

promote: setup ## Assign a model version to a stage: make promote STAGE=prod [VERSION=v0.0.1 FORCE=1]
	python -m pipeline.cli promote --stage $(or $(STAGE),$(error set STAGE, e.g. make promote STAGE=prod)) $(if $(VERSION),--version $(VERSION)) $(if $(FORCE),--force)

params: setup ## Compose conf/ into params.yaml (commit the result)
	python -m pipeline.cli params

params-check: setup ## Fail if params.yaml is stale against conf/
	python -m pipeline.cli params --check

lint: setup-dev ## ruff, formatting, params sync, large files, workflows, Dockerfile (the pre-commit hooks), undeclared imports
	pre-commit run --all-files --show-diff-on-failure
	deptry src  # every package src/ imports is declared in pyproject.toml

dvc-check: setup ## dvc.yaml and dvc.lock parse, the stage graph is sound, dvc status runs
	dvc dag > /dev/null
	dvc stage list > /dev/null
	dvc status > /dev/null
	@echo "dvc.yaml and dvc.lock are sound"

format: setup-dev ## Fix lint and formatting in place
	ruff check --fix .
	ruff format .

test: setup-dev ## Run the whole test suite, slow end-to-end tests included
	pytest -n 2 --dist loadfile --durations=15

test-fast: setup-dev ## Run the tests that need no dvc repository
	pytest -n 2 --dist loadfile -m "not slow"

BENCH ?= repro serve report sweep
# Arguments for each benchmark run, e.g. BENCH=scale BENCH_ARGS="--engines pandas --factors 1 10 30"
BENCH_ARGS ?=
bench: setup-dev ## Benchmarks (not tests) -> reports/bench/results.json; one: make bench BENCH=repro
	dvc repro --quiet  # the serving benchmark serves the workspace model
	for name in $(BENCH); do python benchmarks/$$name.py $(BENCH_ARGS); done
	python benchmarks/results.py

remote: setup ## Point DVC at $$DVC_REMOTE_URL (+ $$DVC_REMOTE_ENDPOINT) in .dvc/config.local
	@if [ -n "$${DVC_REMOTE_URL:-}" ]; then \
		dvc remote add --local --default --force ci "$$DVC_REMOTE_URL"; \
		if [ -n "$${DVC_REMOTE_ENDPOINT:-}" ]; then \
			dvc remote modify --local ci endpointurl "$$DVC_REMOTE_ENDPOINT"; \
		fi; \
		echo "DVC remote: $$DVC_REMOTE_URL"; \
	else \
		echo "DVC_REMOTE_URL is not set: using the remote in .dvc/config"; \
	fi

push: setup ## Upload data and models to the DVC remote
	dvc push

pull: setup ## Download data and models from the DVC remote (PULL_FLAGS=--allow-missing)
	dvc pull $(PULL_FLAGS)

RETRAIN_BRANCH ?= retrain/main
retrain-branch: ## Commit the retrained dvc.lock to $$RETRAIN_BRANCH and push it (CI)
	scripts/retrain-branch.sh "$(RETRAIN_BRANCH)"

retrain-pr: ## Open or update the retrain pull request and its one comment (CI, GitHub API)
	scripts/retrain-pr.sh "$(RETRAIN_BRANCH)" reports/retrain.md

drift-alert: ## Open a drift-alert issue with the gate's output unless one is open (CI, GitHub API)
	scripts/drift-alert.sh reports/check.txt

clean: ## Remove the environment and tool folders (DVC outputs stay; dvc checkout restores them)
	rm -rf .venv .tools .pytest_cache .ruff_cache
