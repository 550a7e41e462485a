# wsgate — see README.md.
GO       ?= go
FUZZTIME ?= 30s
PKGS     := ./...

.PHONY: all build run test vet fmt-check race microbench fuzz clean

all: build

build:
	$(GO) build -o bin/wsgate ./cmd/wsgate

## run: the gateway on the embedded default config (ARGS="-config wsgate.toml" for a file)
run:
	$(GO) run ./cmd/wsgate $(ARGS)

## test: vet, formatting, every test of the product under the race detector, and the
## tests of the tooling module in bench/ (load generator, harness, soak; without -race)
test: vet fmt-check
	$(GO) test -race -count=1 -timeout 10m $(PKGS)
	cd bench && $(GO) test -count=1 -timeout 5m $(PKGS)

vet:
	$(GO) vet $(PKGS)
	cd bench && $(GO) vet $(PKGS)

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

## microbench: the Go benchmarks beside the code (allocations included)
microbench:
	$(GO) test -run='^$$' -bench=. -benchmem $(PKGS)
	cd bench && $(GO) test -run='^$$' -bench=. -benchmem $(PKGS)

## fuzz: every fuzz target for FUZZTIME each
fuzz:
	@set -e; for pkg in $$($(GO) list $(PKGS)); do \
	  for t in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz' || true); do \
	    echo "== $$pkg $$t"; $(GO) test -run='^$$' -fuzz="^$$t$$" -fuzztime=$(FUZZTIME) $$pkg; \
	  done; \
	done

clean:
	rm -rf bin

## soak: a bounded soak of the gateway on loopback (echo, broadcast, churn, slow readers,
## malformed clients) for SOAK_DURATION; fails if RSS, goroutines or fds grow past a bound.
## Not part of test.
## The soak runner lives in the tooling module under bench/ (bench/cmd/wssoak).
SOAK_DURATION ?= 2m
.PHONY: soak
soak:
	$(GO) build -o bin/wsgate ./cmd/wsgate
	cd bench && $(GO) build -o ../bin/wssoak ./cmd/wssoak
	bin/wssoak -gateway bin/wsgate -duration $(SOAK_DURATION)

# The side-by-side benchmark harness (make bench, make bench-quick) lives with bench/, a
# module of its own (bench/go.mod) so that the product module lists only the product.
-include bench/bench.mk

## cluster-demo: a NATS server and two gateways bridged over it on loopback; open
## http://127.0.0.1:8081/ and http://127.0.0.1:8082/ (Ctrl-C stops all three)
.PHONY: cluster-demo
cluster-demo: build
	cd bench && $(GO) run ./cmd/clusterdemo -gateway $(CURDIR)/bin/wsgate $(ARGS)
