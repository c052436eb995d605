# Trainyard — the two commands a new user runs: `make demo` and `make test`.
SWIFT ?= swift
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
BIN := .build/debug/trainyard
# `make demo` runs an optimized build: a debug binary serves about five times fewer requests per second, and the
# demo's load test should show what Trainyard does. `make test` stays a debug build (BIN).
DEMO_BIN := .build/release/trainyard

.PHONY: deps pyenv testports build demo test bench-transport clean

# System packages a fresh Debian machine lacks: libzmq (headers + pkg-config file) for the
# CZMQ module, SQLite headers for GRDB (the coordinator's job store), iproute2 for the
# network-namespace tests, openssl for the TLS tests' certificates, prometheus for promtool (the
# alerting rules' tests), kubectl for kustomize (the Kubernetes manifests' tests).
deps:
	@if ! pkg-config --exists libzmq sqlite3 2>/dev/null || ! command -v ip >/dev/null || ! command -v openssl >/dev/null \
	    || ! command -v promtool >/dev/null || ! command -v kubectl >/dev/null; then \
		echo "installing libzmq3-dev, libsqlite3-dev, pkg-config, iproute2, openssl, prometheus and kubectl"; \
		$(SUDO) apt-get update && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y libzmq3-dev libsqlite3-dev pkg-config iproute2 openssl prometheus kubectl; \
	fi

# A git-ignored venv with pyzmq, numpy and xgboost for the interop tests, and openapi-spec-validator
# and schemathesis (4.x, whose CLI the API conformance tests call) for the OpenAPI documents; each
# group's tests are skipped, with a message, only if pip cannot install it. Debian's docker-compose 1.29
# in a venv of its own (.venv-compose: it needs PyYAML 5.4, built with Cython < 3) checks the compose file;
# kubernetes-validate the Kubernetes manifests.
pyenv:
	@if ! .venv/bin/python3 -c 'import zmq, numpy, xgboost' 2>/dev/null; then \
		{ [ -x .venv/bin/python3 ] || python3 -m venv .venv; } && .venv/bin/pip install --quiet pyzmq numpy xgboost-cpu \
		|| echo "pyzmq/numpy/xgboost could not be installed: the Python interop tests will be skipped"; \
	fi
	@if ! [ -x .venv/bin/schemathesis ] || ! [ -x .venv/bin/openapi-spec-validator ]; then \
		{ [ -x .venv/bin/python3 ] || python3 -m venv .venv; } && .venv/bin/pip install --quiet 'openapi-spec-validator>=0.7,<1' 'schemathesis>=4.1,<5' \
		|| echo "openapi-spec-validator/schemathesis could not be installed: the OpenAPI conformance tests will be skipped"; \
	fi
	@if ! [ -x .venv/bin/kubernetes-validate ]; then \
		{ [ -x .venv/bin/python3 ] || python3 -m venv .venv; } && .venv/bin/pip install --quiet kubernetes-validate \
		|| echo "kubernetes-validate could not be installed: the Kubernetes manifests are not checked against the schema"; \
	fi
	@if ! [ -x .venv-compose/bin/docker-compose ]; then \
		python3 -m venv .venv-compose && .venv-compose/bin/pip install --quiet wheel 'cython<3' \
		&& .venv-compose/bin/pip install --quiet --no-build-isolation 'pyyaml==5.4.1' \
		&& .venv-compose/bin/pip install --quiet 'docker-compose==1.29.2' \
		|| echo "docker-compose 1.29 could not be installed: the compose file is not checked against it"; \
	fi

build: deps
	$(SWIFT) build --product trainyard

# Trains a churn model locally and on a coordinator with two workers on loopback, publishes and serves it behind the
# proxy, load-tests it and stops everything cleanly. Release build: the first one takes several minutes (about 8 on
# 2 cores); later runs rebuild only what changed.
demo: deps
	@echo "building trainyard in release mode (the first build takes several minutes)"
	$(SWIFT) build -c release --product trainyard
	$(DEMO_BIN) demo --log-level warning

# Multi-process tests listen on fixed loopback ports in 56000-59999; keep the kernel from
# handing those out as ephemeral ports (to clients, or to tests that bind port 0).
testports:
	@$(SUDO) sysctl -q -w net.ipv4.ip_local_reserved_ports=56000-59999 2>/dev/null \
		|| echo "could not reserve ports 56000-59999: a test server may rarely find its port taken"

# Unit, property, multi-process and network-namespace tests; then the whole-system tests (the compose stack, pipelines,
# batch prediction: many processes training and serving at once; the Kubernetes manifests' kubectl and schema checks) apart, so their load does not stretch the
# timing-bound tests that run beside each other in the first part.
SYSTEM_TESTS := ComposeStackTests|PipelineProcessTests|PipelineTriggerTests|BatchPredictionTests|KubernetesManifestTests|demoStartsWorkers
test: deps pyenv testports
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build --skip '$(SYSTEM_TESTS)'
	$(SWIFT) test --skip-build --filter '$(SYSTEM_TESTS)'

# 8 MiB float frames through our ZeroMQ layer and through raw libzmq, with the ratio.
bench-transport: deps
	bench/transport/run.sh

clean:
	rm -rf .build
