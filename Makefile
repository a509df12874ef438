# Appointment lead handler. `make test` bootstraps every tool it needs into
# git-ignored folders (.venv, .tools) and runs every check.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

GO      ?= go
PYTHON  ?= python3
NPM     ?= npm
SESLOCAL := infra/ses-local
VENV    := .venv
# checkov pins boto3 apart from the SAM CLI: a venv of its own.
CHECKOV_VENV := .venv-checkov
TOOLBIN := $(CURDIR)/.tools/bin

# Go tools, at pinned versions.
RIE_MODULE  := github.com/aws/aws-lambda-runtime-interface-emulator
RIE_VERSION := v0.0.0-20261030222936-bef5c4ba774d

# How every Lambda binary is built (SAM's BuildMethod: makefile calls the
# build-<LogicalId> targets with ARTIFACTS_DIR set).
# The release (the VERSION file, its one place) is set in internal/version.
APP_VERSION  := $(shell cat $(CURDIR)/VERSION)
LAMBDA_ENV   := CGO_ENABLED=0 GOOS=linux GOARCH=arm64
LAMBDA_FLAGS := -tags lambda.norpc -trimpath -ldflags='-s -w -buildid= -X github.com/openclinic/leadhandler/internal/version.Version=$(APP_VERSION)'
ARTIFACTS_DIR ?= .build

FUZZTIME ?= 30s
# make test runs every fuzz target for this many executions (15-20 s
# each on a 2-CPU runner), so a shallow finding stops a change (0: skip
# them). A count, not a time: Go 1.26's fuzzing coordinator can report
# "context deadline exceeded" when a time budget ends while a worker is
# mid-run, with nothing found (https://go.dev/issue/75804, fixed in Go
# 1.27); a count has no deadline to race.
FUZZTIME_CI ?= 400000x
# How long the fuzzer may minimise each new input it finds (go test's
# -fuzzminimizetime, 60s by default). make test bounds it: a minimisation
# still running when FUZZTIME_CI ends fails the run ("context deadline
# exceeded") though nothing was found.
FUZZMINIMIZE ?=
# package:target for every fuzz target; their seed corpora (testdata/fuzz)
# run in every go test.
FUZZ_TARGETS := ./internal/lead:FuzzDecode ./internal/render/emails:FuzzAlert ./internal/link:FuzzVerify ./internal/render/markup:FuzzEscape

SAM       := $(VENV)/bin/sam
SAMCONFIG := infra/samconfig.toml
# SAM (botocore) reads AWS_DEFAULT_REGION but not AWS_REGION, which the Go
# SDK (aws-check, doctor) reads first: pass it on, so both use one region.
SAM_REGION := $(if $(AWS_REGION),--region $(AWS_REGION))
export SAM_CLI_TELEMETRY := 0

PORT ?= 3000

.PHONY: help dev snippet unit test tools lint sam-check aws-check deploy diff delete publish release doctor ops-tool audit staff-signout rotate-link-secret retire-link-secret report export patient-export erase index-patients fuzz bench clean check-go check-email check-erase check-python check-node check-chromium

help:
	@echo "make dev     run the whole flow locally on http://127.0.0.1:$(PORT) (Go only; PORT=... to change)"
	@echo "make unit    the quick loop: go test -short ./... (Go only; skips what needs emulators or Chromium)"
	@echo "make test    run every test and check (installs its tools into .venv and .tools)"
	@echo "make snippet API_URL=https://...   print the embeddable form for the clinic's site"
	@echo "make doctor SENDER_EMAIL=... CLINIC_EMAIL=... [SES_CONFIGURATION_SET=... SES_MAX_SEND_RATE=... SEND_TEST=1]   ask SES and DNS whether the clinic's email goes out (exact exit codes: .tools/bin/doctor)"
	@echo "make aws-check           say which AWS account, region and caller make deploy would use, or what is missing"
	@echo "make deploy [GUIDED=1]   aws-check, then sam build and sam deploy with infra/samconfig.toml (installs only the SAM CLI)"
	@echo "make diff                aws-check, then show the change set make deploy would execute, without executing it"
	@echo "make delete              aws-check, then delete the stack (the leads table and the secrets are kept)"
	@echo "make publish S3_BUCKET=...   aws-check, then package and publish the application to the AWS Serverless Application Repository"
	@echo "make release VERSION=x.y.z   write VERSION and its copies, date the changelog's Unreleased section, commit, tag vx.y.z"
	@echo "make audit [LEAD=id] [SINCE=2026-11-01|7d]   aws-check, then print a lead's audit trail (no LEAD: sign-ins, failed codes, sign-outs)"
	@echo "make staff-signout EMAIL=...   aws-check, then end all of one staff member's sessions and every emailed link's session (recorded in the audit trail)"
	@echo "make rotate-link-secret [RETIRE=1]   aws-check, then a new link secret signs; the one it replaces still verifies (RETIRE=1: not even that, and link sessions end)"
	@echo "make retire-link-secret  aws-check, then links, forms and codes signed before the last rotation stop working, and link sessions end"
	@echo "make report [FROM=2026-11-01] [TO=2026-11-07] [LOCAL=1]   aws-check, then print speed to first attempt and booked rates by page and campaign (days in TIME_ZONE, TO included; default: the last 7 days, today included; the medians say how many were tried and how many not yet; LOCAL=1: make dev's table)"
	@echo "make export [FROM=...] [TO=...] [PII=1] [OUT=leads.csv] [LOCAL=1]   the same requests as CSV, one row each (default: the last 7 days, today included), no free text (PII=1 adds names and contacts)"
	@echo "make patient-export CONTACT=+13035550199|email [OUT=file.json] [LOCAL=1]   aws-check, then print everything kept about one patient as JSON (audited; docs/patients.md)"
	@echo "make erase CONTACT=... CONFIRM=erase [LOCAL=1]   aws-check, then erase every request of one patient, its held copies, index entries and nudges (audited; cannot be undone)"
	@echo "make index-patients [LOCAL=1]   aws-check, then index the requests stored before 1.1 by their phone and email (keyed hashes), once after upgrading, so the two above find them (docs/patients.md)"
	@echo "make bench   measure sizes, cold starts, latency and scale against their floors (writes bench.json)"
	@echo "make fuzz    run each fuzz target (decoder, email rendering, link tokens) for FUZZTIME (default $(FUZZTIME))"
	@echo "make build-<Function> ARTIFACTS_DIR=dir   build a Lambda bootstrap as sam build does (SubmitFunction, NotifyFunction, FollowUpFunction, StaffFunction, MailEventsFunction)"
	@echo "make clean   remove build output and bootstrapped tools"

dev: check-go
	PORT=$(PORT) $(GO) run ./cmd/dev

snippet: check-go
	@$(GO) run ./cmd/snippet -api-url "$(API_URL)" -phone "$(CLINIC_PHONE)" \
	  -consent-text "$(CONSENT_TEXT)" -consent-version "$(CONSENT_VERSION)" -button-color "$(BUTTON_COLOR)" \
	  -turnstile-sitekey "$(TURNSTILE_SITEKEY)"

check-go:
	@command -v $(GO) >/dev/null 2>&1 || { echo "error: Go 1.26 or newer is required and was not found on PATH (https://go.dev/dl/)" >&2; exit 1; }

check-python:
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "error: Python 3 (with its venv module) is required and was not found on PATH as $(PYTHON)" >&2; exit 1; }
	@$(PYTHON) -c 'import venv, ensurepip' 2>/dev/null || { echo "error: $(PYTHON) lacks the venv/ensurepip modules (on Debian/Ubuntu: apt-get install python3-venv)" >&2; exit 1; }

check-chromium:
	@command -v $${CHROMIUM:-chromium} >/dev/null 2>&1 || { echo "error: Chromium is required for the browser test and was not found on PATH (Debian/Ubuntu: apt-get install chromium; or set CHROMIUM to its path)" >&2; exit 1; }

check-node:
	@command -v node >/dev/null 2>&1 && command -v $(NPM) >/dev/null 2>&1 || { echo "error: Node.js 18 or newer with npm is required (it runs the SES emulator in tests) and was not found on PATH" >&2; exit 1; }

# Python tools, pinned in infra/requirements-dev.txt (which includes
# infra/requirements-deploy.txt).
$(VENV)/.installed: infra/requirements-dev.txt infra/requirements-deploy.txt | check-python
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r infra/requirements-dev.txt
	touch $@

$(CHECKOV_VENV)/.installed: infra/requirements-checkov.txt | check-python
	$(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/pip install --quiet --disable-pip-version-check -r infra/requirements-checkov.txt
	touch $@

# The SAM CLI alone, for make deploy and make delete: never the test tools.
# A .venv make test filled since requirements-deploy.txt last changed has it
# already. aws-check comes first, even under make -j: nothing is installed
# for an AWS setup that cannot deploy.
$(VENV)/.deploy-installed: infra/requirements-deploy.txt | aws-check check-python
	@if [ $(VENV)/.installed -nt infra/requirements-deploy.txt ]; then \
	  echo "The SAM CLI is in $(VENV) already (make test installed it)."; \
	else \
	  echo "$(PYTHON) -m venv $(VENV) && $(VENV)/bin/pip install -r infra/requirements-deploy.txt"; \
	  $(PYTHON) -m venv $(VENV); \
	  $(VENV)/bin/pip install --quiet --disable-pip-version-check -r infra/requirements-deploy.txt; \
	fi
	@touch $@

$(TOOLBIN)/aws-lambda-rie: Makefile | check-go
	GOBIN=$(TOOLBIN) $(GO) install $(RIE_MODULE)/cmd/aws-lambda-rie@$(RIE_VERSION)
	touch $@

# The SES v2 emulator and axe-core, pinned by infra/ses-local/package-lock.json.
$(SESLOCAL)/node_modules/.installed: $(SESLOCAL)/package.json $(SESLOCAL)/package-lock.json | check-node
	$(NPM) ci --prefix $(SESLOCAL) --no-audit --no-fund --silent
	touch $@

tools: $(VENV)/.installed $(CHECKOV_VENV)/.installed $(TOOLBIN)/aws-lambda-rie $(SESLOCAL)/node_modules/.installed

# cfn-lint runs on template.yaml and on the template as CloudFormation
# receives it, after SAM's transform (infra/expand.py): since 1.54 it no
# longer expands SAM itself, so what the transform makes (aliases, their
# UpdatePolicy, the API's routes, deployment groups) is checked only there
# (docs/testing.md, Template checks). checkov: every check it skips, each
# with its reason, is in infra/checkov.yaml; any other failure fails lint.
EXPANDED := .build/template.expanded.json

lint: tools
	@unformatted=$$(gofmt -l $$(git ls-files -co --exclude-standard '*.go')); \
	  if [ -n "$$unformatted" ]; then echo "gofmt would change: $$unformatted" >&2; exit 1; fi
	$(GO) vet ./...
	@$(GO) mod tidy -diff >/dev/null || { echo "go.mod/go.sum are not tidy: run go mod tidy (go mod tidy -diff shows what changes)" >&2; exit 1; }
	$(VENV)/bin/cfn-lint template.yaml infra/edge.yaml
	@mkdir -p $(dir $(EXPANDED))
	$(VENV)/bin/python infra/expand.py template.yaml > $(EXPANDED)
	$(VENV)/bin/cfn-lint $(EXPANDED)
	$(CHECKOV_VENV)/bin/checkov --config-file infra/checkov.yaml

# The template as AWS will take it: SAM's own lint, a real sam build, and a
# check that every artifact is a linux/arm64 Go bootstrap.
sam-check: $(VENV)/.installed | check-go
	$(SAM) validate --lint --region us-east-1 --config-file $(SAMCONFIG)
	$(SAM) build --config-file $(SAMCONFIG)
	$(GO) run ./cmd/checkbuild template.yaml .aws-sam/build

# The quick loop: Go only, no tool installed. Tests that need an emulator,
# RIE or Chromium skip under -short, naming what they need.
unit: check-go
	$(GO) test -short ./...

test: check-go check-chromium lint sam-check
	MOTO_SERVER=$(CURDIR)/$(VENV)/bin/moto_server RIE=$(TOOLBIN)/aws-lambda-rie \
	  SAM_PYTHON=$(CURDIR)/$(VENV)/bin/python \
	  SES_LOCAL=$(CURDIR)/$(SESLOCAL)/node_modules/aws-ses-v2-local/dist/cli.js \
	  AXE_CORE=$(CURDIR)/$(SESLOCAL)/node_modules/axe-core/axe.min.js \
	  $(GO) test -count=1 ./...
	@if [ "$(FUZZTIME_CI)" != 0 ]; then $(MAKE) --no-print-directory fuzz FUZZTIME=$(FUZZTIME_CI) FUZZMINIMIZE=100x; fi

# The commands below run as built binaries, not through go run, which turns
# every failure into exit status 1 and adds a line of its own. make still
# exits 2 after a failed recipe, with its "make: *** ... Error N" line (N is
# the command's code): scripts run .tools/bin/doctor for the exact code.
aws-check: check-go
	@$(GO) build -o $(TOOLBIN)/awscheck ./cmd/awscheck
	@$(TOOLBIN)/awscheck

deploy: $(VENV)/.deploy-installed | check-go
	$(SAM) build --config-file $(SAMCONFIG)
	$(SAM) deploy --config-file $(SAMCONFIG) $(SAM_REGION) $(if $(GUIDED),--guided)

# The change set of a deploy, created and described but not executed. SAM
# prints its ARN: discard it with aws cloudformation delete-change-set
# --change-set-name <arn> (a later make deploy makes a new one anyway).
diff: $(VENV)/.deploy-installed | check-go
	$(SAM) build --config-file $(SAMCONFIG)
	$(SAM) deploy --config-file $(SAMCONFIG) $(SAM_REGION) --no-execute-changeset --no-confirm-changeset

delete: $(VENV)/.deploy-installed
	$(SAM) delete --config-file $(SAMCONFIG) $(SAM_REGION)

# The application in the AWS Serverless Application Repository, for a
# clinic to install from the console: built, packaged into S3_BUCKET (whose
# policy lets serverlessrepo.amazonaws.com read it: docs/deploy.md), then
# published as VERSION. Never run by the tests.
publish: $(VENV)/.deploy-installed | check-go
	@test -n "$(strip $(S3_BUCKET))" || { echo "error: say where the packaged code goes: make publish S3_BUCKET=my-sar-bucket (docs/deploy.md, One-click install)" >&2; exit 2; }
	$(SAM) build --config-file $(SAMCONFIG)
	$(SAM) package --template-file .aws-sam/build/template.yaml --s3-bucket "$(S3_BUCKET)" $(SAM_REGION) --output-template-file .aws-sam/packaged.yaml
	$(SAM) publish --template .aws-sam/packaged.yaml $(SAM_REGION) --semantic-version $(APP_VERSION)

# A release: VERSION is the one place; the template's two copies (it reads
# no file) follow it, the changelog's Unreleased section becomes the
# release's, and the commit is tagged. internal/dev/samtemplate's TestVersionInOnePlace
# fails if a copy disagrees.
release: check-go
	@echo "$(VERSION)" | grep -Eq '^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)$$' || { echo "error: make release VERSION=x.y.z (a semantic version, such as 1.1.0)" >&2; exit 2; }
	@git diff --quiet HEAD -- VERSION template.yaml CHANGELOG.md || { echo "error: VERSION, template.yaml or CHANGELOG.md has uncommitted changes" >&2; exit 2; }
	@! git rev-parse -q --verify "refs/tags/v$(VERSION)" >/dev/null || { echo "error: tag v$(VERSION) exists already" >&2; exit 2; }
	echo "$(VERSION)" > VERSION
	sed -i.bak -E 's/^(    SemanticVersion: ).*/\1$(VERSION)/' template.yaml
	sed -i.bak -E '/^  Version:$$/,/^    Value:/ s/^(    Value: ).*/\1$(VERSION)/' template.yaml
	awk -v heading="## [$(VERSION)] - $$(date -u +%F)" '{ print } $$0 == "## [Unreleased]" { print ""; print heading }' CHANGELOG.md > CHANGELOG.md.new && mv CHANGELOG.md.new CHANGELOG.md
	rm -f template.yaml.bak
	$(GO) test -count=1 -run '^TestVersionInOnePlace$$' ./internal/dev/samtemplate
	git commit -m "Release $(VERSION)" -- VERSION template.yaml CHANGELOG.md
	git tag -a "v$(VERSION)" -m "Release $(VERSION)"
	@echo "Tagged v$(VERSION): push it with git push --follow-tags; then make deploy (and make publish)."

# Exit codes: 0 all good, 1 a problem stops the clinic's email, 2 bad usage
# or an unusable AWS configuration. SES_CONFIGURATION_SET and
# SES_MAX_SEND_RATE, when given, check the deployed stack's set and rate;
# SEND_TEST=1 (with the set) also sends the clinic a test alert and waits
# for its delivery event.
doctor: check-go
	@$(GO) build -o $(TOOLBIN)/doctor ./cmd/doctor
	@$(TOOLBIN)/doctor -sender "$(SENDER_EMAIL)" -recipients "$(CLINIC_EMAIL)" -configuration-set "$(SES_CONFIGURATION_SET)" -max-send-rate "$(SES_MAX_SEND_RATE)" $(if $(filter 1,$(SEND_TEST)),-send-test)

# Ops on the deployed stack's table or link secret, with the credentials
# aws-check approved: LEADS_TABLE (LINK_SECRET_ARN), else the
# LeadsTableName (LinkSecretArn) output of STACK (default:
# infra/samconfig.toml's stack_name). Built, then run as .tools/bin/ops
# (as doctor is): exit codes 0 done, 1 AWS or the table failed, 2 bad usage.
OPS_ENV := $(if $(STACK),STACK="$(STACK)") $(if $(AWS_REGION),AWS_REGION="$(AWS_REGION)")
OPS := $(OPS_ENV) $(TOOLBIN)/ops

ops-tool: check-go
	@$(GO) build -o $(TOOLBIN)/ops ./cmd/ops

audit: aws-check ops-tool
	@$(OPS) audit -lead "$(LEAD)" -since "$(SINCE)"

staff-signout: check-email aws-check ops-tool
	@$(OPS) signout -email "$(EMAIL)"

# RETIRE=1 (or yes, true) only: RETIRE=0 keeps the version it replaces.
rotate-link-secret: aws-check ops-tool
	@$(OPS) rotate-link-secret $(if $(filter 1 yes true,$(RETIRE)),-retire)

retire-link-secret: aws-check ops-tool
	@$(OPS) retire-link-secret

# The clinic's figures (internal/dev/ops figures.go): TIME_ZONE and
# OPENING_HOURS as the stack has them (UTC and every minute when unset).
# LOCAL=1 reads make dev's embedded table (.local/dynamodb.json, written
# while make dev runs) with make dev's settings, and needs no AWS.
FIGURES_ENV := $(if $(TIME_ZONE),TIME_ZONE="$(TIME_ZONE)") $(if $(OPENING_HOURS),OPENING_HOURS="$(OPENING_HOURS)") $(if $(filter 1 yes true,$(LOCAL)),LOCAL=1)
FIGURES_SPAN := -from "$(FROM)" -to "$(TO)"

report: $(if $(filter 1 yes true,$(LOCAL)),,aws-check) ops-tool
	@$(FIGURES_ENV) $(OPS) report $(FIGURES_SPAN)

export: $(if $(filter 1 yes true,$(LOCAL)),,aws-check) ops-tool
	@$(FIGURES_ENV) $(OPS) export $(FIGURES_SPAN) $(if $(filter 1 yes true,$(PII)),-pii) $(if $(OUT),-out "$(OUT)")

# A patient's data (internal/dev/ops patient.go, docs/patients.md): CONTACT
# is an email address or a phone number (PHONE_REGION, default US, reads
# one without its country code); make erase needs CONFIRM=erase.
PATIENT_ENV := $(if $(PHONE_REGION),PHONE_REGION="$(PHONE_REGION)") $(if $(TIME_ZONE),TIME_ZONE="$(TIME_ZONE)") $(if $(filter 1 yes true,$(LOCAL)),LOCAL=1)

patient-export: $(if $(filter 1 yes true,$(LOCAL)),,aws-check) ops-tool
	@$(PATIENT_ENV) $(OPS) patient-export -contact "$(CONTACT)" $(if $(OUT),-out "$(OUT)")

erase: check-erase $(if $(filter 1 yes true,$(LOCAL)),,aws-check) ops-tool
	@$(PATIENT_ENV) $(OPS) erase -contact "$(CONTACT)" -confirm "$(CONFIRM)"

# Once after upgrading to 1.1 (internal/dev/ops index.go): the requests
# stored before it into the contact index; running it again does nothing.
index-patients: $(if $(filter 1 yes true,$(LOCAL)),,aws-check) ops-tool
	@$(if $(filter 1 yes true,$(LOCAL)),LOCAL=1) $(OPS) index-patients

check-erase:
	@test "$(CONFIRM)" = erase || { echo "error: nothing was erased (it cannot be undone): say so with CONFIRM=erase, as in make erase CONTACT=... CONFIRM=erase" >&2; exit 2; }

check-email:
	@test -n "$(strip $(EMAIL))" || { echo "error: say whose sessions to end: make staff-signout EMAIL=frontdesk@example-clinic.com" >&2; exit 2; }

# One report, figures next to their floors; never a pass/fail on timing.
bench: check-go $(TOOLBIN)/aws-lambda-rie
	RIE=$(TOOLBIN)/aws-lambda-rie $(GO) test -run '^$$' -bench '^BenchmarkReport$$' -benchtime 1x -timeout 30m \
	  ./internal/dev/bench -args -out $(CURDIR)/bench.json

fuzz: check-go
	@for t in $(FUZZ_TARGETS); do \
	  pkg=$${t%%:*}; name=$${t##*:}; echo "fuzzing $$name in $$pkg for $(FUZZTIME)"; \
	  $(GO) test -run '^$$' -fuzz "^$$name\$$" -fuzztime $(FUZZTIME) $(if $(FUZZMINIMIZE),-fuzzminimizetime $(FUZZMINIMIZE)) $$pkg || exit 1; \
	done

# One recipe for every function: build-FollowUpFunction builds ./functions/followup.
build-%Function: check-go
	$(LAMBDA_ENV) $(GO) build $(LAMBDA_FLAGS) -o $(ARTIFACTS_DIR)/bootstrap ./functions/$(shell echo '$*' | tr '[:upper:]' '[:lower:]')

clean:
	rm -rf .build .aws-sam $(VENV) $(CHECKOV_VENV) .tools $(SESLOCAL)/node_modules
