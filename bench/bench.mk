# The side-by-side benchmark, included from the top-level Makefile.
# The harness is bench/cmd/wsbench, in the tooling module bench/go.mod. Both targets
# install and build the peers themselves (npm ci into bench/peers/uws, go build of each
# nested module) and need only go and node.
#   make bench-quick              under a minute; table on stdout, files in bench/work/quick/
#   make bench                    a few minutes; bench/RESULTS.md, results.svg, results-raw.txt
#   make bench BENCH_ARGS='-servers wsgate,uws -cases echo64 -profile wsgate/echo64'
GO         ?= go
BENCH_ARGS ?=
WSBENCH    := bench/work/wsbench

.PHONY: bench bench-quick wsbench

# bench/ is its own module: build the harness from there; it runs from the repository root.
wsbench:
	cd bench && $(GO) build -o work/wsbench ./cmd/wsbench

## bench: every scenario against wsgate and the peers, in rounds (a few minutes)
bench: wsbench
	$(WSBENCH) compare -mode full $(BENCH_ARGS)

## bench-quick: the same, one short round (under a minute)
bench-quick: wsbench
	$(WSBENCH) compare -mode quick $(BENCH_ARGS)
