package metrics

import "errors"

// Errors a [Writer] reports through Err and Flush. They are programming errors
// of the caller: the output so far is kept, the offending family or sample is
// not written.
var (
	ErrBadName       = errors.New("metrics: invalid metric or label name")
	ErrSuffix        = errors.New("metrics: counters end in _total, gauges and histograms do not")
	ErrNoFamily      = errors.New("metrics: sample outside its family (call Family first)")
	ErrDuplicate     = errors.New("metrics: family written twice")
	ErrBadType       = errors.New("metrics: unknown metric type")
	ErrHistogramOnly = errors.New("metrics: Histogram in a family that is not a histogram")
)
