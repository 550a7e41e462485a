// Package gcpace paces the Go garbage collector for a gateway: the heap may grow a
// percentage of the live data between collections, as GOGC, but never by less than a floor
// of headroom.
//
// A low percentage keeps the resident memory of many idle connections close to what they
// hold, since they leave little garbage; but with a small live heap it would collect after
// every few hundred kilobytes, and traffic that allocates (TLS handshakes: tens of kilobytes
// each) would pay for it. The floor gives such a heap the room of Go's default pacing.
package gcpace
