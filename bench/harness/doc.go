// Package harness is the side-by-side benchmark behind `wsbench compare`
// (make bench, make bench-quick): it installs and builds wsgate and the peer
// servers under bench/peers, starts a fresh server process for every
// scenario, drives it with package load, interleaves the servers in rounds,
// and writes the Markdown table, an SVG chart of the ratios against wsgate
// and the raw output.
//
// Adding a server is one entry in Servers: its name, where and how it is
// built, how it is run, and its echo and broadcast paths.
package harness
