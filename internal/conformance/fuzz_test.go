package conformance

import (
	"bytes"
	"compress/flate"
	"errors"
	"io"
	"testing"
)

// FuzzInflateWindow checks inflateWindow against compress/flate as an
// oracle, with the full window: on arbitrary input it must not panic; a
// stream compress/flate decodes to a final block it must decode alike; and
// when it decodes a stream that ends on a block boundary (as every
// permessage-deflate message does, after its appended tail), compress/flate
// must have produced the same bytes before failing to find another block.
func FuzzInflateWindow(f *testing.F) {
	for _, tc := range inflateCases(f) {
		f.Add(tc.in)
	}
	f.Add([]byte{0x00, 0x00, 0x00, 0xff, 0xff}) // an empty stored block
	f.Add([]byte{0x03, 0x00})                   // an empty final fixed block
	f.Fuzz(func(t *testing.T, in []byte) {
		const limit = 64 << 10 // keeps the runs fast; bombs are cut here
		got, err := inflateWindow(nil, nil, in, 1<<15, limit)
		want, oerr := io.ReadAll(io.LimitReader(flate.NewReader(bytes.NewReader(in)), limit+1))
		switch {
		case len(want) > limit:
			// Over the limit: inflateWindow must have refused it.
			if err == nil {
				t.Fatalf("inflateWindow decoded %d bytes past the limit", len(got))
			}
		case oerr == nil && err != nil:
			t.Fatalf("compress/flate decodes %d bytes to a final block, inflateWindow fails: %v", len(want), err)
		case err == nil && (oerr == nil || errors.Is(oerr, io.ErrUnexpectedEOF)) && !bytes.Equal(got, want):
			t.Fatalf("outputs differ: %d bytes against compress/flate's %d (%v)", len(got), len(want), oerr)
		case err == nil && oerr != nil && !errors.Is(oerr, io.ErrUnexpectedEOF):
			t.Fatalf("inflateWindow decodes %d bytes, compress/flate fails: %v", len(got), oerr)
		}
	})
}
