# MLOps reference platform. `make help` lists the targets.
SHELL = /usr/bin/env bash -o pipefail
.SHELLFLAGS = -ec
.DEFAULT_GOAL := help

# Versions, pinned in one place; override on the command line.
UV_VERSION ?= 0.13.9
TOX_VERSION ?= 4.67.15
TOX_UV_VERSION ?= 1.37.1
KIND_VERSION ?= v0.33.0
KUBECTL_VERSION ?= v1.37.1
GATEWAY_API_VERSION ?= v1.5.1
PYTHON ?= python3

# Paths and knobs.
TOOLS_DIR ?= $(CURDIR)/.tools
UV ?= $(TOOLS_DIR)/bin/uv
DATA_DIR ?= data
MODEL_DIR ?= models
# The services, in order, from the one hand-kept registry (services.toml; stdlib Python 3.11+).
SERVICES := $(shell $(PYTHON) -m registry names)
$(if $(SERVICES),,$(error no services: `$(PYTHON) -m registry names` printed nothing (needs Python 3.11+ and a valid services.toml)))
# `make data` generates each dataset at its real size (the registry's `rows`); ROWS=N overrides
# it for every service, e.g. for a quick run.
ROWS ?=
SEED ?= 42
PYTEST_ARGS ?=
RUN := $(UV) run --locked --no-sync

.PHONY: help
help: ## Show this help
	@awk 'BEGIN {FS = ":.*##"; printf "Usage: make \033[36m<target>\033[0m\n"} \
		/^[a-zA-Z_0-9-]+:.*?##/ { printf "  \033[36m%-16s\033[0m %s\n", $$1, $$2 } \
		/^##@/ { printf "\n\033[1m%s\033[0m\n", substr($$0, 5) }' $(MAKEFILE_LIST)

##@ Setup

$(UV):
	$(PYTHON) -m venv $(TOOLS_DIR)
	$(TOOLS_DIR)/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

.PHONY: setup
setup: $(UV) ## Install pinned uv and the locked workspace into .venv
	$(UV) sync --locked --all-packages

##@ Main job: data, models, local APIs

.PHONY: data
data: $(SERVICES:%=$(DATA_DIR)/%.csv) ## Generate every service's dataset (kept if present; delete to regenerate)

$(DATA_DIR)/%.csv: | setup
	rows=$(or $(ROWS),$$($(PYTHON) -m registry get $* rows)); \
		$(RUN) $* generate --rows $$rows --seed $(SEED) --out $@

.PHONY: train
train: data ## Train every service (MLflow tracking: MLFLOW_TRACKING_URI, default ./mlflow.db)
	@for s in $(SERVICES); do $(RUN) $$s train --data $(DATA_DIR)/$$s.csv --out $(MODEL_DIR)/$$s --seed $(SEED); done

.PHONY: serve
serve: ## Serve every trained API on 127.0.0.1:8001, 8002, ... (registry order) until Ctrl-C
	MODEL_DIR=$(MODEL_DIR) VENV_BIN=$(CURDIR)/.venv/bin scripts/serve-local.sh $(SERVICES)

.PHONY: run
run: train serve ## The main job: set up, generate data, train and serve every API

.PHONY: openapi
openapi: setup ## Regenerate docs/openapi/<service>.json, the HTTP contract a test compares with
	@for s in $(SERVICES); do $(RUN) $$s openapi > docs/openapi/$$s.json; done

.PHONY: mlflow-ui
mlflow-ui: ## Browse MLflow runs of the local store on 127.0.0.1:5000
	$(RUN) mlflow ui --backend-store-uri sqlite:///mlflow.db --host 127.0.0.1 --port 5000

##@ Services

.PHONY: generate
generate: setup ## Regenerate every file and block derived from services.toml
	$(RUN) python -m registry generate

.PHONY: generate-check
generate-check: setup ## Fail if a generated file is stale (what CI runs)
	$(RUN) python -m registry generate --check

# make new-service NAME=wine DATA=~/wine.csv TARGET=cultivar [TASK=binary|multiclass|regression]
NAME ?=
DATA ?=
TARGET ?=
TASK ?=

.PHONY: new-service
new-service: setup ## Scaffold, register, generate, lock and train a service from a CSV (NAME, DATA, TARGET[, TASK])
	@test -n "$(NAME)" -a -n "$(DATA)" -a -n "$(TARGET)" || \
		{ echo "make new-service: set NAME=<name> DATA=<csv> TARGET=<column> [TASK=binary|multiclass|regression]" >&2; exit 2; }
	UV=$(UV) $(RUN) python -m scaffold new --name "$(NAME)" --data "$(DATA)" --target "$(TARGET)" \
		$(if $(TASK),--task "$(TASK)")

.PHONY: remove-service
remove-service: setup ## Remove a service and regenerate every touch point (NAME)
	@test -n "$(NAME)" || { echo "make remove-service: set NAME=<service>" >&2; exit 2; }
	UV=$(UV) $(RUN) python -m scaffold remove --name "$(NAME)"

# make rename PROJECT=<name> NAMESPACE=<name> DOMAIN=<host> IMAGE_PREFIX=<registry/path>
# TF_PREFIX=<name>, any subset. Only values given on the command line count: an IMAGE_PREFIX or
# NAMESPACE exported in the shell for other tools renames nothing.
rename_arg = $(if $(filter command line,$(origin $(1))),--$(2) "$($(1))")

.PHONY: rename
rename: setup ## Rename the platform for a fork, then regenerate (PROJECT NAMESPACE DOMAIN IMAGE_PREFIX TF_PREFIX; any)
	$(RUN) python -m registry rename $(call rename_arg,PROJECT,project) \
		$(call rename_arg,NAMESPACE,namespace) $(call rename_arg,DOMAIN,domain) \
		$(call rename_arg,IMAGE_PREFIX,image-prefix) $(call rename_arg,TF_PREFIX,terraform-prefix)

##@ Quality

.PHONY: lint
lint: setup ## ruff lint and format check
	$(RUN) ruff check .
	$(RUN) ruff format --check .

.PHONY: format
format: setup ## Apply ruff fixes and formatting
	$(RUN) ruff check --fix .
	$(RUN) ruff format .

.PHONY: audit-deps
audit-deps: setup ## Check every locked Python dependency against PyPI's advisory data (pip-audit)
	UV=$(UV) scripts/audit-deps.sh

.PHONY: typecheck
typecheck: setup ## mypy (strict) over the kit, the services, the registry and the tooling
	$(RUN) mypy packages/servicekit/src $(SERVICES:%=services/%/src) registry scaffold hostcluster mutation capacity supplychain

.PHONY: test-tools
test-tools: ## Install and start promtool, Docker, debootstrap for the tests (root+apt; else say what is missing)
	scripts/install-test-tools.sh

.PHONY: test
test: setup generate-check test-tools lint typecheck ## Set up, check generated files, lint, type-check and run every test that needs no cluster
	$(RUN) pytest -m "not e2e" $(PYTEST_ARGS)

.PHONY: test-matrix
test-matrix: setup test-tools ## tox's Python matrix on every CPython 3.11-3.13 here (PATH, pyenv, uv)
	UV=$(UV) TOX_VERSION=$(TOX_VERSION) TOX_UV_VERSION=$(TOX_UV_VERSION) UV_VERSION=$(UV_VERSION) \
		scripts/test-matrix.sh $(MATRIX_PYTHONS)

.PHONY: bench
bench: train ## Print latency/throughput figures per service (no assertions)
	$(RUN) python -m servicekit.bench --model-dir $(MODEL_DIR) --services $(SERVICES)

# The capacity and cost table (capacity/README.md): make capacity PEAK=2000 (req/s per API).
PEAK ?= 1000
.PHONY: capacity
capacity: train ## Requests per pod and per replica, replicas for PEAK req/s, cost per million predictions
	$(RUN) python -m capacity.report --model-dir $(MODEL_DIR) --peak $(PEAK)

# The offline input-drift report: make drift DRIFT_SERVICE=<service> CURRENT=recent.csv
# (PSI per input against the model's training reference; exit 1 when an input drifted).
# DRIFT_SERVICE defaults to the first service of services.toml.
DRIFT_SERVICE ?= $(firstword $(SERVICES))
CURRENT ?=

.PHONY: drift
drift: setup ## PSI per input of CURRENT (a CSV) against DRIFT_SERVICE's model; exit 1 on drift
	@test -n "$(CURRENT)" || { echo "make drift: set CURRENT=<CSV of recent inputs>" >&2; exit 2; }
	$(RUN) $(DRIFT_SERVICE) drift --current "$(CURRENT)" \
		--model $(MODEL_DIR)/$(DRIFT_SERVICE)/model.npz --out reports/drift/$(DRIFT_SERVICE)

# MUTATION_ARGS=--changed-since REV mutates only the modules changed since REV.
MUTATION_ARGS ?=

.PHONY: mutation
mutation: setup ## Mutation testing of the kit's serving and training modules (mutmut); floor 90% killed
	$(RUN) python -m mutation.run $(MUTATION_ARGS)

.PHONY: ci-clean-clone
ci-clean-clone: ## Run .ci/run as CI does: a fresh clone of HEAD, system PATH only
	scripts/ci-clean-clone.sh

##@ Containers

COMPOSE ?= docker compose

.PHONY: requirements
requirements: setup ## Re-export docker/requirements-runtime.txt (hash-pinned) from uv.lock
	$(UV) export --package servicekit --no-dev --no-emit-workspace --frozen \
		--format requirements-txt --no-header -q -o docker/requirements-runtime.txt

.PHONY: images
images: ## Build every service's image (TAG, IMAGE_PREFIX, BASE_IMAGE overridable; needs `make train`)
	MODEL_DIR=$(MODEL_DIR) scripts/build-images.sh $(SERVICES)

.PHONY: compose-up
compose-up: images ## Start the demo stack (APIs, gateway on :8080, Prometheus, Grafana, MLflow)
	TAG=$${TAG:-$$(git rev-parse --short HEAD)} $(COMPOSE) up -d --no-build --wait
	@echo "gateway http://127.0.0.1:8080/<service>/docs  grafana http://127.0.0.1:3000  prometheus http://127.0.0.1:9090  mlflow http://127.0.0.1:5000"

.PHONY: compose-down
compose-down: ## Stop the demo stack and remove its volumes
	TAG=$${TAG:-$$(git rev-parse --short HEAD)} $(COMPOSE) down --volumes

##@ Monitoring

.PHONY: dashboards
dashboards: ## Regenerate the Grafana dashboards from monitoring/grafana/generate.py
	$(PYTHON) -m monitoring.grafana.generate

.PHONY: prometheus
prometheus: ## Run Prometheus on 127.0.0.1:9090 against the APIs of `make serve`
	cd monitoring/prometheus && prometheus --config.file=prometheus.yml \
		--storage.tsdb.path=$(CURDIR)/.prometheus-data --web.listen-address=127.0.0.1:9090

##@ Terraform (AWS)

TF ?= terraform
ENV ?= dev
TF_ENVS := dev staging prod
# Roots applied once per account, apart from the environments.
TF_ACCOUNT_ROOTS := bootstrap cost-allocation-tags

.PHONY: tf-fmt
tf-fmt: ## Format all Terraform files
	$(TF) fmt -recursive terraform

.PHONY: tf-validate
tf-validate: ## init -backend=false + validate every root and module
	@for d in $(TF_ACCOUNT_ROOTS:%=terraform/%) terraform/modules/* $(TF_ENVS:%=terraform/envs/%); do \
		echo "==> $$d"; $(TF) -chdir=$$d init -backend=false -input=false >/dev/null && $(TF) -chdir=$$d validate; \
	done

.PHONY: tf-test
tf-test: ## terraform test (mock provider) for every module and root
	@for d in $(TF_ACCOUNT_ROOTS:%=terraform/%) terraform/modules/* $(TF_ENVS:%=terraform/envs/%); do \
		[[ -d $$d/tests ]] || continue; echo "==> $$d"; \
		$(TF) -chdir=$$d init -backend=false -input=false >/dev/null && $(TF) -chdir=$$d test; \
	done

.PHONY: tf-plan
tf-plan: ## Plan one environment against its remote state: make tf-plan ENV=staging
	$(TF) -chdir=terraform/envs/$(ENV) init -input=false -backend-config=backend.hcl
	$(TF) -chdir=terraform/envs/$(ENV) plan -input=false -out=tfplan

.PHONY: tf-lock
tf-lock: ## Record provider hashes for Linux and macOS, amd64 and arm64, in every root's lock file (needs the registry)
	@for d in $(TF_ACCOUNT_ROOTS:%=terraform/%) $(TF_ENVS:%=terraform/envs/%); do $(TF) -chdir=$$d providers lock \
		-platform=linux_amd64 -platform=linux_arm64 -platform=darwin_amd64 -platform=darwin_arm64; done

##@ Kubernetes (kind)

KIND_CLUSTER ?= $(shell $(PYTHON) -m registry platform project)
INGRESS_PORT ?= 8080
GATEWAY_PORT ?= 8081
BIN_DIR ?= $(CURDIR)/bin
# make test-e2e reads the cluster from the env file that kind-up (.kind/env) or hostcluster-up
# (.hostcluster/env) writes; on another cluster set KUBE_CONTEXT and INGRESS_URL (and
# GATEWAY_URL, the plain-HTTP INGRESS_HTTP_URL and GATEWAY_HTTP_URL, and E2E_CA_BUNDLE if its
# edge's certificate is not signed by a CA the system trusts) yourself.
E2E_ENV_FILE = $(firstword $(wildcard .hostcluster/env .kind/env))
E2E_ENV = $(if $(E2E_ENV_FILE),set -a && . ./$(E2E_ENV_FILE) && set +a &&,)

.PHONY: manifests
manifests: setup ## Render and statically verify every kustomization (schema, consistency, security)
	$(RUN) pytest k8s/tests $(PYTEST_ARGS)

.PHONY: kind-up
kind-up: setup ## Create the kind cluster and deploy the whole platform (idempotent)
	KIND_VERSION=$(KIND_VERSION) KUBECTL_VERSION=$(KUBECTL_VERSION) \
	GATEWAY_API_VERSION=$(GATEWAY_API_VERSION) KIND_CLUSTER=$(KIND_CLUSTER) \
	INGRESS_PORT=$(INGRESS_PORT) GATEWAY_PORT=$(GATEWAY_PORT) BIN_DIR=$(BIN_DIR) \
	MODEL_DIR=$(MODEL_DIR) scripts/kind/up.sh

.PHONY: test-e2e
test-e2e: setup ## End-to-end tests against the cluster of kind-up (or KUBE_CONTEXT + INGRESS_URL)
	$(E2E_ENV) $(RUN) pytest -m e2e tests/e2e $(PYTEST_ARGS)

.PHONY: kind-down
kind-down: ## Delete the kind cluster and its local state
	KIND_CLUSTER=$(KIND_CLUSTER) BIN_DIR=$(BIN_DIR) scripts/kind/down.sh

##@ Kubernetes (host processes: Linux hosts where kind cannot run)

.PHONY: hostcluster-up
hostcluster-up: setup test-tools ## Build (cached) and start a one-node cluster of host processes, deploy the platform
	hostcluster/install-prerequisites.sh
	MODEL_DIR=$(MODEL_DIR) hostcluster/up.sh

.PHONY: hostcluster-down
hostcluster-down: ## Stop the host cluster and undo every host change it made (idempotent)
	hostcluster/down.sh

.PHONY: hostcluster-e2e
hostcluster-e2e: ## up, test-e2e, down where this host allows it; otherwise say why not
	hostcluster/ci.sh

# FORK_NAME, FORK_DATA, FORK_TARGET[, FORK_TASK]: the service to add (default: wine, from
# scikit-learn's wine data, target cultivar: a multiclass service).
.PHONY: hostcluster-e2e-fork
hostcluster-e2e-fork: setup ## hostcluster-e2e on a scratch fork with a service added by new-service (scaled in the e2e)
	hostcluster/fork-e2e.sh

##@ Cleanup

.PHONY: clean
clean: ## Remove generated data, models, MLflow store and caches (keeps .venv and .tools)
	rm -rf $(DATA_DIR) $(MODEL_DIR) mlflow.db mlruns .prometheus-data .mutation .pytest_cache .mypy_cache \
		.ruff_cache .coverage
