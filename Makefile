# ami-notify. `make help` lists the targets. Everything but Go and Python 3
# is installed by the targets themselves: Python tools into .venv/, Go tools
# through the `tool` lines in go.mod.

SHELL := /bin/bash
.DEFAULT_GOAL := help

GO      ?= go
PYTHON  ?= python3
VENV    := .venv
VENVBIN := $(abspath $(VENV))/bin
EVENT   ?= events/failed.json

export SAM_CLI_TELEMETRY := 0
export AWS_DEFAULT_REGION ?= us-east-1

.PHONY: help
help: ## List the targets.
	@grep -hE '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-24s %s\n", $$1, $$2}'

# ---- Python tools (SAM CLI, cfn-lint, moto) --------------------------------
# The stamp file is rebuilt when the pinned requirements change.
$(VENV)/.stamp: .ci/requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(VENVBIN)/pip install --quiet --disable-pip-version-check -r .ci/requirements.txt
	touch $@

.PHONY: venv
venv: $(VENV)/.stamp ## Create the project virtualenv with the pinned Python tools.

# ---- The function ----------------------------------------------------------
# SAM calls this target with ARTIFACTS_DIR set (BuildMethod: makefile).
# GOARCH can be overridden to build for the host (the local-AWS harness does).
.PHONY: build-AmiNotifyFunction
build-AmiNotifyFunction:
	CGO_ENABLED=0 GOOS=linux GOARCH=$(or $(GOARCH),arm64) $(GO) build -tags lambda.norpc -trimpath -ldflags "-s -w" -o $(ARTIFACTS_DIR)/bootstrap ./handler

# ---- The SAM application ---------------------------------------------------
# template.yaml and samconfig.toml; the SAM CLI and cfn-lint come from .venv/.
SAM      := $(VENVBIN)/sam
CFN_LINT := $(VENVBIN)/cfn-lint
# Parameter overrides for deploy, e.g. PARAMS="NotificationEmail=you@example.com States=failed,disabled".
PARAMS   ?=
ENV_VARS ?= events/env/dry-run.json

.PHONY: build
build: venv ## sam build: the arm64 bootstrap into .aws-sam/build/.
	$(SAM) build

.PHONY: validate
validate: venv ## sam validate --lint and cfn-lint on template.yaml.
	$(SAM) validate --lint
	$(CFN_LINT) template.yaml

.PHONY: invoke
invoke: build ## sam local invoke AmiNotifyFunction with EVENT, DRY_RUN on (needs Docker).
	$(SAM) local invoke AmiNotifyFunction -e $(EVENT) --env-vars $(ENV_VARS)

# The us-east-1 default above is for offline checks only: a deploy goes to
# the region of the user's own AWS configuration unless the environment sets one.
.PHONY: deploy
deploy: build ## sam deploy the stack "ami-notify" (parameters: PARAMS="Key=Value ...").
	$(if $(filter file,$(origin AWS_DEFAULT_REGION)),env -u AWS_DEFAULT_REGION) $(SAM) deploy $(if $(PARAMS),--parameter-overrides "$(PARAMS)")

# ---- Local AWS -------------------------------------------------------------
# moto (from .venv/) stands in for EC2, SNS and SQS; the function runs as
# bootstrap under aws-lambda-rie, both built from the pins in go.mod.
.PHONY: demo
demo: venv ## Run every events/ file through the function against a local AWS; print what subscribers get.
	@PATH="$(VENVBIN):$$PATH" $(GO) run ./handler/cmd/demo $(if $(VERBOSE),-v)

# The function beside a bare Go Lambda built with the same recipe: cold
# start, warm duration, own code, memory, size and cost. The table goes to
# stdout, the numbers to .bench/results.json (git-ignored) for comparing
# runs. BENCH_FLAGS passes options, e.g. BENCH_FLAGS="-cold 40 -warm 1000".
.PHONY: bench
bench: venv ## Benchmark against a bare Go Lambda; print a Markdown table, write .bench/results.json.
	@PATH="$(VENVBIN):$$PATH" $(GO) run ./handler/bench $(if $(VERBOSE),-v) $(BENCH_FLAGS)

# ---- Checks ----------------------------------------------------------------
.PHONY: lint
lint: ## gofmt, go vet and staticcheck.
	@unformatted=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go' -not -path './.venv/*')); \
	if [ -n "$$unformatted" ]; then echo "gofmt needed: $$unformatted"; exit 1; fi
	$(GO) vet ./...
	$(GO) tool staticcheck ./...

.PHONY: unit
unit: ## Unit and fuzz-seed tests (no AWS, no tools).
	$(GO) test -count=1 ./notify/... ./handler/ ./handler/ami/... ./handler/ec2query/... ./handler/bench/...

.PHONY: test
test: lint venv ## Everything CI runs: lint, unit, template and integration tests.
	PATH="$(VENVBIN):$$PATH" $(GO) test -count=1 -timeout 30m ./...

.PHONY: preview
preview: ## Print every channel's message for EVENT (default events/failed.json; DETAILS=not_found etc.), no AWS.
	@$(GO) run ./handler/cmd/preview $(if $(DETAILS),-details $(DETAILS)) $(EVENT)
