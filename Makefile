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

# ---- Checks ----------------------------------------------------------------
.PHONY: lint
lint: ## gofmt, go vet and staticcheck.
	@unformatted=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go' -not -path './.venv/*')); \
	if [ -n "$$unformatted" ]; then echo "gofmt needed: $$unformatted"; exit 1; fi
	$(GO) vet ./...
	$(GO) tool staticcheck ./...

.PHONY: unit
unit: ## Unit and fuzz-seed tests (no AWS, no tools).
	$(GO) test -count=1 ./notify/... ./handler

.PHONY: test
test: lint venv ## Everything CI runs: lint, unit, template and integration tests.
	PATH="$(VENVBIN):$$PATH" $(GO) test -count=1 -timeout 30m ./...

.PHONY: preview
preview: ## Print every channel's message for EVENT (default events/failed.json), touching no AWS.
	@$(GO) run ./handler/cmd/preview $(EVENT)
