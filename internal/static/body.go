package static

import (
	"io"
	"os"
	"sync/atomic"
)

// Body is the body of a response whose head Serve appended: a cached file or the default
// page (shared, immutable bytes) or an uncached file read from disk as it is sent. The
// caller sends it in chunks at the pace the client reads (Next), so serving a file costs a
// chunk of memory per client, not the file; it must Close a Body it does not finish. The
// zero value is an empty body.
type Body struct {
	data []byte        // the rest of a cached body; nil for a file
	f    *os.File      // an uncached file, owned by the Body
	off  int64         // next offset in f
	n    int64         // bytes left
	read *atomic.Int64 // the Responder's count of bytes read from files
}

// Len is the number of bytes left to send.
func (b *Body) Len() int64 { return b.n }

// Next returns up to max next bytes of the body (max > 0): a subslice of the cached body,
// or of scratch (read from the file, len(scratch) at most). The bytes are valid until the
// next call. At the end of the body, or after an error, the Body is closed.
func (b *Body) Next(scratch []byte, max int) ([]byte, error) {
	max = int(min(int64(max), b.n))
	if b.f == nil {
		p := b.data[:max]
		b.data, b.n = b.data[max:], b.n-int64(max)
		if b.n == 0 {
			b.data = nil
		}
		return p, nil
	}
	k, err := b.f.ReadAt(scratch[:min(max, len(scratch))], b.off)
	if k == 0 && err == nil {
		err = io.ErrNoProgress
	}
	if err == io.EOF && int64(k) < b.n {
		err = io.ErrUnexpectedEOF // the file shrank under us; the head promised more
	} else if err == io.EOF {
		err = nil
	}
	b.read.Add(int64(k))
	b.off += int64(k)
	b.n -= int64(k)
	if err != nil || b.n == 0 {
		b.Close()
	}
	return scratch[:k], err
}

// Close releases the body's file, if any, and empties it.
func (b *Body) Close() {
	if b.f != nil {
		b.f.Close()
	}
	*b = Body{}
}
