# dianbao — two commands on a fresh machine: `make run` and `make test`.
SHELL := /bin/bash
GO ?= go
BIN := bin/dianbao
# Debian packages the build (cgo: gojieba, OpenCC, Opus) and the tests (Redis, Chromium,
# espeak-ng) need.
DEB_PKGS := gcc g++ pkg-config libopencc-dev libopencc-data libopus-dev libopusfile-dev \
	espeak-ng libespeak-ng-dev redis-server chromium fonts-noto-cjk fonts-noto-color-emoji sox python3
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: all build run test test-go test-sim bench deps fmt vet clean

all: build

# deps installs only what is missing, so a second run is a no-op.
deps:
	@missing=$$(for p in $(DEB_PKGS); do dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "installing Debian packages:" $$missing; \
		$(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing >/dev/null; \
	fi
	@$(GO) mod download

build: deps
	$(GO) build -o $(BIN) .

run: build
	./$(BIN) serve

test: deps vet test-go test-sim

vet:
	$(GO) vet ./...

test-go:
	$(GO) test -race -count=1 -timeout 30m ./...

# The public customer simulations and NLU development set, through the real binary.
test-sim: build
	./$(BIN) nlu eval ../shared/tools/nlu_dev.tsv | tail -n 1
	python3 ../shared/tools/simulate.py --bin ./$(BIN) ../shared/tools/personas dialogs/testdata/personas

bench: deps
	$(GO) test -run '^$$' -bench . -benchmem ./...

fmt:
	gofmt -w $$(git ls-files '*.go')

clean:
	rm -rf bin
