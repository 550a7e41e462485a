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

## test: vet, formatting, every test of the product under the race detector, its allocation
## and memory tests without it, and the tests of the tooling module in bench/ (load
## generator, harness, soak; without -race)
test: vet fmt-check
	$(GO) test -race -count=1 -timeout 10m $(PKGS)
	@# Allocation and memory tests are built without the race detector (it allocates):
	@# run them again without it, or the "allocates nothing" claims go unchecked.
	$(GO) test -count=1 -timeout 5m -run 'Alloc|Memory' $(PKGS)
	cd bench && $(GO) test -count=1 -timeout 5m $(PKGS)

vet:
	$(GO) vet $(PKGS)
	cd bench && $(GO) vet $(PKGS)
	@# The release targets (make cross) must compile: 32-bit ARM has other struct field
	@# widths (unix.Msghdr, unix.Iovec) than the machine the tests run on.
	GOOS=linux GOARCH=arm GOARM=7 $(GO) vet ./...
	GOOS=linux GOARCH=arm64 $(GO) vet ./...

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

# ---- release builds (issue 12): make cross, make dist ----------------------------------
## cross: static, stripped, version-stamped binaries for linux/amd64, linux/arm64 and
## linux/arm/v7 in dist/; fails if one is larger than MAX_BINARY_BYTES.
## dist: one tar.gz per target with the binary, the unit file, an example config,
## LICENSE and README.md.
## screenshot: the admin status page in headless Chromium, to SCREENSHOT.
VERSION          ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo devel)
CROSS_TARGETS    ?= linux/amd64 linux/arm64 linux/arm/7
MAX_BINARY_BYTES ?= 10000000
# nethttpomithttp2: the admin listener speaks HTTP/1.1 only; net/http's bundled HTTP/2
# would add ~380 KB to every binary.
RELEASE_TAGS     ?= nethttpomithttp2
RELEASE_FLAGS     = -trimpath -tags '$(RELEASE_TAGS)' -ldflags "-s -w -X main.version=$(VERSION)"
SCREENSHOT       ?= admin-status.png

.PHONY: cross dist screenshot
cross:
	@set -e; for t in $(CROSS_TARGETS); do \
	  os=$${t%%/*}; rest=$${t#*/}; arch=$${rest%%/*}; arm=""; \
	  case $$rest in */*) arm=$${rest#*/};; esac; \
	  dir=dist/wsgate-$(VERSION)-$$os-$$arch$${arm:+v$$arm}; mkdir -p $$dir; \
	  CGO_ENABLED=0 GOOS=$$os GOARCH=$$arch GOARM=$$arm $(GO) build $(RELEASE_FLAGS) -o $$dir/wsgate ./cmd/wsgate; \
	  size=$$(stat -c %s $$dir/wsgate); printf '%-48s %10d bytes\n' $$dir/wsgate $$size; \
	  if [ $$size -gt $(MAX_BINARY_BYTES) ]; then echo "$$dir/wsgate: larger than $(MAX_BINARY_BYTES) bytes"; exit 1; fi; \
	done

dist: cross
	@set -e; for dir in dist/wsgate-$(VERSION)-*/; do \
	  dir=$${dir%/}; name=$${dir#dist/}; \
	  cp deploy/wsgate.service deploy/wsgate.toml LICENSE README.md $$dir/; \
	  tar -C dist --owner=0 --group=0 -czf $$dir.tar.gz $$name; \
	  echo "$$dir.tar.gz"; \
	done

screenshot:
	WSGATE_SCREENSHOT=$(abspath $(SCREENSHOT)) $(GO) test -count=1 -run 'TestStatusPageInChromium' ./internal/admin/
	@echo "wrote $(SCREENSHOT)"
