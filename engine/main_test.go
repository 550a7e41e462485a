package engine

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package's tests when goroutines outlive them: every server a test
// starts is stopped, and a stopped server leaves no accept loop, event loop, ticker or
// authentication worker behind.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m,
		// gnet's package-level worker pool (goroutine.DefaultWorkerPool, an ants pool made
		// at init) keeps two housekeeping goroutines for the life of the process.
		goleak.IgnoreTopFunction("github.com/panjf2000/ants/v2.(*poolCommon).purgeStaleWorkers"),
		goleak.IgnoreTopFunction("github.com/panjf2000/ants/v2.(*poolCommon).ticktock"),
	)
}
