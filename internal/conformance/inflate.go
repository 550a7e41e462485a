package conformance

import "fmt"

// inflateWindow decodes raw DEFLATE data (RFC 1951) that continues a stream
// whose earlier output was hist, and appends the new output to dst. It is
// the decoder of puff.c (zlib's reference inflater), written out so that it
// can do what neither compress/flate nor klauspost's decoder does: refuse a
// distance over window bytes, which is what a zlib client with a small
// window (Autobahn's decompressobj(-9) in cases 13.3 and 13.5) fails on
// ("invalid distance too far back"). It also refuses a distance before the
// start of hist. Decoding stops at the end of a final block or where in ends
// on a block boundary; the output is bounded by limit bytes.
//
// It decodes a bit at a time: fast enough for the few messages a small
// window is negotiated for; the others go through compress/flate.
func inflateWindow(dst, hist, in []byte, window, limit int) ([]byte, error) {
	d := inflater{br: bitReader{in: in}, hist: hist, out: dst, base: len(dst), window: window, limit: limit}
	for {
		last, err := d.br.bits(1)
		if err != nil {
			return d.out, err
		}
		typ, err := d.br.bits(2)
		if err != nil {
			return d.out, err
		}
		switch typ {
		case 0:
			err = d.stored()
		case 1:
			err = d.codes(&fixedLit, &fixedDist)
		case 2:
			err = d.dynamic()
		default:
			err = fmt.Errorf("%w: block type 3", ErrDeflate)
		}
		if err != nil || last == 1 {
			return d.out, err
		}
		if d.br.pos == len(in) && d.br.buf == 0 {
			return d.out, nil // the input ends on a block boundary (padding bits are zero)
		}
	}
}

// bitReader reads DEFLATE's bit stream, least significant bit first.
type bitReader struct {
	in  []byte
	pos int
	buf uint32
	cnt uint
}

func (b *bitReader) bits(n uint) (uint32, error) {
	v := b.buf
	for b.cnt < n {
		if b.pos == len(b.in) {
			return 0, fmt.Errorf("%w: truncated", ErrDeflate)
		}
		v |= uint32(b.in[b.pos]) << b.cnt
		b.pos++
		b.cnt += 8
	}
	b.buf = v >> n
	b.cnt -= n
	return v & (1<<n - 1), nil
}

// huffman is a canonical Huffman code: the number of codes of each length
// and the symbols ordered by code.
type huffman struct {
	count  [16]uint16
	symbol []uint16
}

// build makes h from code lengths. It returns 0 for a complete code, > 0
// for an incomplete one and < 0 for an over-subscribed one.
func (h *huffman) build(lengths []uint8) int {
	h.count = [16]uint16{}
	for _, l := range lengths {
		h.count[l]++
	}
	if int(h.count[0]) == len(lengths) {
		return 0
	}
	left := 1
	for l := 1; l <= 15; l++ {
		left <<= 1
		left -= int(h.count[l])
		if left < 0 {
			return left
		}
	}
	var offs [16]uint16
	for l := 1; l < 15; l++ {
		offs[l+1] = offs[l] + h.count[l]
	}
	h.symbol = make([]uint16, len(lengths))
	for s, l := range lengths {
		if l != 0 {
			h.symbol[offs[l]] = uint16(s)
			offs[l]++
		}
	}
	return left
}

func (b *bitReader) decode(h *huffman) (int, error) {
	code, first, index := 0, 0, 0
	for l := 1; l <= 15; l++ {
		bit, err := b.bits(1)
		if err != nil {
			return 0, err
		}
		code |= int(bit)
		count := int(h.count[l])
		if code-count < first {
			return int(h.symbol[index+code-first]), nil
		}
		index += count
		first += count
		first <<= 1
		code <<= 1
	}
	return 0, fmt.Errorf("%w: no such code", ErrDeflate)
}

var (
	lengthBase  = [29]uint16{3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258}
	lengthExtra = [29]uint8{0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0}
	distBase    = [30]uint16{1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577}
	distExtra   = [30]uint8{0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13}
	codeOrder   = [19]uint8{16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15}

	fixedLit, fixedDist = func() (lit, dist huffman) {
		var l [288]uint8
		for i := range l {
			switch {
			case i < 144:
				l[i] = 8
			case i < 256:
				l[i] = 9
			case i < 280:
				l[i] = 7
			default:
				l[i] = 8
			}
		}
		lit.build(l[:])
		var d [30]uint8
		for i := range d {
			d[i] = 5
		}
		dist.build(d[:])
		return lit, dist
	}()
)

// inflater is the state of one inflateWindow call.
type inflater struct {
	br     bitReader
	hist   []byte // output of earlier messages (context takeover)
	out    []byte // dst with the output so far appended from base on
	base   int
	window int
	limit  int
}

func (d *inflater) emit(c byte) error {
	if len(d.out)-d.base >= d.limit {
		return fmt.Errorf("%w: output over %d bytes", ErrDeflate, d.limit)
	}
	d.out = append(d.out, c)
	return nil
}

func (d *inflater) stored() error {
	d.br.buf, d.br.cnt = 0, 0 // to the byte boundary
	b := &d.br
	if b.pos+4 > len(b.in) {
		return fmt.Errorf("%w: truncated stored block", ErrDeflate)
	}
	n := int(b.in[b.pos]) | int(b.in[b.pos+1])<<8
	if b.in[b.pos+2] != ^b.in[b.pos] || b.in[b.pos+3] != ^b.in[b.pos+1] {
		return fmt.Errorf("%w: stored block length does not match its complement", ErrDeflate)
	}
	b.pos += 4
	if b.pos+n > len(b.in) {
		return fmt.Errorf("%w: truncated stored block", ErrDeflate)
	}
	for _, c := range b.in[b.pos : b.pos+n] {
		if err := d.emit(c); err != nil {
			return err
		}
	}
	b.pos += n
	return nil
}

func (d *inflater) codes(lit, dist *huffman) error {
	for {
		sym, err := d.br.decode(lit)
		if err != nil {
			return err
		}
		switch {
		case sym < 256:
			if err := d.emit(byte(sym)); err != nil {
				return err
			}
			continue
		case sym == 256:
			return nil
		}
		sym -= 257
		if sym >= 29 {
			return fmt.Errorf("%w: bad length code", ErrDeflate)
		}
		extra, err := d.br.bits(uint(lengthExtra[sym]))
		if err != nil {
			return err
		}
		n := int(lengthBase[sym]) + int(extra)
		ds, err := d.br.decode(dist)
		if err != nil {
			return err
		}
		if ds >= 30 {
			return fmt.Errorf("%w: bad distance code", ErrDeflate)
		}
		if extra, err = d.br.bits(uint(distExtra[ds])); err != nil {
			return err
		}
		back := int(distBase[ds]) + int(extra)
		have := len(d.hist) + len(d.out) - d.base
		switch {
		case back > d.window:
			return fmt.Errorf("%w: distance %d over the %d-byte window", ErrWindow, back, d.window)
		case back > have:
			return fmt.Errorf("%w: distance %d before the start of the %d bytes of history", ErrWindow, back, have)
		}
		for range n {
			var c byte
			if i := len(d.out) - back; i >= d.base {
				c = d.out[i]
			} else {
				c = d.hist[len(d.hist)+i-d.base]
			}
			if err := d.emit(c); err != nil {
				return err
			}
		}
	}
}

func (d *inflater) dynamic() error {
	b := &d.br
	var v [3]uint32
	for i, n := range []uint{5, 5, 4} {
		x, err := b.bits(n)
		if err != nil {
			return err
		}
		v[i] = x
	}
	nlen, ndist, ncode := int(v[0])+257, int(v[1])+1, int(v[2])+4
	if nlen > 286 || ndist > 30 {
		return fmt.Errorf("%w: too many length or distance codes", ErrDeflate)
	}
	var lengths [316]uint8
	for i := range ncode {
		x, err := b.bits(3)
		if err != nil {
			return err
		}
		lengths[codeOrder[i]] = uint8(x)
	}
	var lencode, distcode huffman
	if lencode.build(lengths[:19]) != 0 {
		return fmt.Errorf("%w: incomplete code length code", ErrDeflate)
	}
	for i := 0; i < nlen+ndist; {
		sym, err := b.decode(&lencode)
		if err != nil {
			return err
		}
		if sym < 16 {
			lengths[i] = uint8(sym)
			i++
			continue
		}
		var l uint8
		var rep uint32
		switch sym {
		case 16:
			if i == 0 {
				return fmt.Errorf("%w: repeat with no first length", ErrDeflate)
			}
			l = lengths[i-1]
			rep, err = b.bits(2)
			rep += 3
		case 17:
			rep, err = b.bits(3)
			rep += 3
		default:
			rep, err = b.bits(7)
			rep += 11
		}
		if err != nil {
			return err
		}
		if i+int(rep) > nlen+ndist {
			return fmt.Errorf("%w: too many lengths", ErrDeflate)
		}
		for range rep {
			lengths[i] = l
			i++
		}
	}
	if lengths[256] == 0 {
		return fmt.Errorf("%w: no end-of-block code", ErrDeflate)
	}
	// An incomplete code is allowed only when it is a single code of length 1.
	if e := lencode.build(lengths[:nlen]); e < 0 || e > 0 && nlen != int(lencode.count[0]+lencode.count[1]) {
		return fmt.Errorf("%w: bad literal/length code", ErrDeflate)
	}
	if e := distcode.build(lengths[nlen : nlen+ndist]); e < 0 || e > 0 && ndist != int(distcode.count[0]+distcode.count[1]) {
		return fmt.Errorf("%w: bad distance code", ErrDeflate)
	}
	return d.codes(&lencode, &distcode)
}
