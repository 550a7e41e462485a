package conformance

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"sync"
)

// deflateSizes is Autobahn's MSG_SIZES of case12_x_x.py: message size and
// auto-fragment size (0: whole messages).
var deflateSizes = [][2]int{
	{16, 0}, {64, 0}, {256, 0}, {1024, 0}, {4096, 0}, {8192, 0}, {16384, 0}, {32768, 0}, {65536, 0}, {131072, 0},
	{8192, 256}, {16384, 256}, {32768, 256}, {65536, 256}, {131072, 256}, {131072, 1024}, {131072, 4096}, {131072, 32768},
}

// dataSet is one of Autobahn's test files, as a stand-in of the same kind:
// the originals are not vendored, and what matters to a server is only
// whether the data is text and how it compresses.
type dataSet struct {
	name   string
	binary bool
	data   []byte
	runes  []rune // text: Autobahn slices text files by code point
}

var (
	dataOnce sync.Once
	dataSets []*dataSet // in Autobahn's WS_COMPRESSION_TESTDATA_KEYS order
)

// deflateData returns the five data sets of cases 12.1-12.5.
func deflateData() []*dataSet {
	dataOnce.Do(func() {
		r := rand.New(rand.NewPCG(1, 2))
		dataSets = []*dataSet{
			{name: "json_data1: a JSON report (text)", data: genJSON(r, 190<<10)},
			{name: "lena512: a 512x512 grayscale bitmap (binary)", binary: true, data: genBitmap(r)},
			{name: "gutenberg_faust: German verse (binary)", binary: true, data: genVerse(r, 216<<10)},
			{name: "html_data1: an HTML report (text)", data: genHTML(r, 256<<10)},
			{name: "ooms: a PDF, mostly compressed streams (binary)", binary: true, data: genPDF(r, 512<<10)},
		}
		for _, d := range dataSets {
			if !d.binary {
				d.runes = []rune(string(d.data))
			}
		}
	})
	return dataSets
}

// slicer cuts consecutive messages from a data set as Autobahn's sendOne
// does: size code points (text) or bytes (binary) from where the last one
// ended, wrapping around.
type slicer struct {
	d   *dataSet
	pos int
}

func (s *slicer) next(size int) []byte {
	if s.d.binary {
		n := len(s.d.data)
		from, to := s.pos, (s.pos+size)%n
		s.pos = to
		if to > from {
			return s.d.data[from:to]
		}
		return append(append([]byte(nil), s.d.data[from:]...), s.d.data[:to]...)
	}
	n := len(s.d.runes)
	from, to := s.pos, (s.pos+size)%n
	s.pos = to
	if to > from {
		return []byte(string(s.d.runes[from:to]))
	}
	return []byte(string(s.d.runes[from:]) + string(s.d.runes[:to]))
}

// deflateEcho is the script of the 12.x and 13.x cases: count messages cut
// from d, each sent compressed (auto-fragmented to frag bytes) and its echo
// checked byte for byte before the next goes (Autobahn checks length, type
// and SHA-1).
func deflateEcho(d *dataSet, size, frag, count int) func(*Session) error {
	op := OpText
	if d.binary {
		op = OpBinary
	}
	return func(s *Session) error {
		s.SetAutoFragment(frag)
		sl := slicer{d: d}
		for i := range count {
			p := sl.next(size)
			s.SendMessage(op, p, 0)
			if err := expectEcho(s, message(op, p)); err != nil {
				return fmt.Errorf("message %d of %d: %w", i+1, count, err)
			}
		}
		return nil
	}
}

// deflateCount is how many messages of size one case echoes.
func deflateCount(l Limits, size int) int {
	return min(l.DeflateCount, max(2, l.DeflateBudget/size))
}

// section12 is compressed echo of the five data sets with Autobahn's default
// offer.
func section12(l Limits) []Case {
	l.normalize()
	var cs []Case
	for j, d := range deflateData() {
		for i, sz := range deflateSizes {
			n := deflateCount(l, sz[0])
			cs = append(cs, Case{ID: fmt.Sprintf("12.%d.%d", j+1, i+1),
				Title:  fmt.Sprintf("%s: %d messages of %d, auto-fragmented to %d", d.name, n, sz[0], sz[1]),
				Offers: []Offer{AutobahnOffer(false, 0)}, Script: deflateEcho(d, sz[0], sz[1], n), Close: closeNormal,
				Note: fmt.Sprintf("Autobahn sends 1000 messages; here %d", n)})
		}
	}
	return cs
}

// section13 is compressed echo of the JSON data under Autobahn's seven
// combinations of offers.
func section13(l Limits) []Case {
	l.normalize()
	offers := [][]Offer{
		{AutobahnOffer(false, 0)},
		{AutobahnOffer(true, 0)},
		{AutobahnOffer(false, 9)},
		{AutobahnOffer(false, 15)},
		{AutobahnOffer(true, 9)},
		{AutobahnOffer(true, 15)},
		{AutobahnOffer(true, 9), AutobahnOffer(true, 0), AutobahnOffer(false, 0)},
	}
	d := deflateData()[0]
	var cs []Case
	for j, o := range offers {
		for i, sz := range deflateSizes {
			n := deflateCount(l, sz[0])
			cs = append(cs, Case{ID: fmt.Sprintf("13.%d.%d", j+1, i+1),
				Title:  fmt.Sprintf("offers %v: %d messages of %d, auto-fragmented to %d", o, n, sz[0], sz[1]),
				Offers: o, Script: deflateEcho(d, sz[0], sz[1], n), Close: closeNormal})
		}
	}
	return cs
}

// contextTakeoverCases extend section 13 with offers Autobahn never makes:
// every Autobahn offer carries client_no_context_takeover, so a server that
// answers with it never has to keep the client's window. These let the
// client keep its context, with the full and with smaller windows.
func contextTakeoverCases(l Limits) []Case {
	l.normalize()
	offers := []Offer{
		{},                        // plain permessage-deflate
		{ClientMaxWindowBits: -1}, // client_max_window_bits without a value
		{ClientMaxWindowBits: 9},
		{ClientMaxWindowBits: 8},
		{ClientMaxWindowBits: 10, ServerMaxWindowBits: 10},
	}
	d := deflateData()[0]
	var cs []Case
	for j, o := range offers {
		for i, sz := range [][2]int{{16, 0}, {1024, 0}, {4096, 256}, {65536, 0}} {
			n := deflateCount(l, sz[0])
			cs = append(cs, Case{ID: fmt.Sprintf("x13.%d.%d", j+1, i+1),
				Title:  fmt.Sprintf("offer %q: %d messages of %d, auto-fragmented to %d", o, n, sz[0], sz[1]),
				Offers: []Offer{o}, Script: deflateEcho(d, sz[0], sz[1], n), Close: closeNormal,
				Note: "RFC 7692 §7.1.1.2: client context takeover; the server keeps the client's window"})
		}
	}
	return cs
}

// The generators below make deterministic stand-ins for Autobahn's files.

func genJSON(r *rand.Rand, size int) []byte {
	agents := []string{"AutobahnPython/0.6.0", "wsgate/1.0", "Zürich-Gateway/2.1", "Straße-WS/0.9", "Jetty/9", "nginx-ws/1.25"}
	behaviors := []string{"OK", "OK", "OK", "NON-STRICT", "INFORMATIONAL", "FAILED"}
	var b strings.Builder
	b.WriteString("{\n")
	for a := 0; b.Len() < size; a++ {
		agent := agents[a%len(agents)]
		fmt.Fprintf(&b, "   \"%s\": {\n", agent)
		for c := 0; c < 40 && b.Len() < size; c++ {
			id := fmt.Sprintf("%d.%d.%d", 1+r.IntN(13), 1+r.IntN(9), 1+r.IntN(20))
			fmt.Fprintf(&b, "      \"%s\": {\n         \"behavior\": \"%s\",\n         \"behaviorClose\": \"%s\",\n"+
				"         \"duration\": %d,\n         \"remoteCloseCode\": %d,\n         \"reportfile\": \"%s_case_%s.json\"\n      },\n",
				id, behaviors[r.IntN(len(behaviors))], behaviors[r.IntN(2)], r.IntN(2000), 1000+r.IntN(12),
				strings.ToLower(strings.NewReplacer("/", "_", ".", "_").Replace(agent)), strings.ReplaceAll(id, ".", "_"))
		}
		b.WriteString("   },\n")
	}
	b.WriteString("}\n")
	return []byte(b.String())
}

func genBitmap(r *rand.Rand) []byte {
	const w, h = 512, 512
	out := []byte("BM")
	out = append(out, make([]byte, 52)...) // header fields, zero
	for i := range 256 {                   // grayscale palette
		out = append(out, byte(i), byte(i), byte(i), 0)
	}
	for y := range h {
		for x := range w {
			v := 128 + 60*math.Sin(float64(x)/23) + 50*math.Cos(float64(y)/31) + 10*math.Sin(float64(x*y)/4000)
			out = append(out, byte(int(v)+r.IntN(9)-4))
		}
	}
	return out
}

func genVerse(r *rand.Rand, size int) []byte {
	words := strings.Fields("Habe nun ach Philosophie Juristerei und Medizin auch leider Theologie durchaus studiert " +
		"mit heißem Bemühn da steh ich nun ich armer Tor bin so klug als wie zuvor heiße Magister " +
		"Doktor gar ziehe schon an die zehen Jahr herauf herab und quer und krumm meine Schüler an der Nase " +
		"herum und sehe daß wir nichts wissen können das will mir schier das Herz verbrennen Geist Gretchen " +
		"Mephistopheles Faust Walpurgisnacht Straße Brücke Größe Übermut Ärger Öde süß schön")
	var b strings.Builder
	for b.Len() < size {
		n := 4 + r.IntN(6)
		for i := range n {
			if i > 0 {
				b.WriteByte(' ')
			}
			b.WriteString(words[r.IntN(len(words))])
		}
		b.WriteString(".\r\n")
		if r.IntN(6) == 0 {
			b.WriteString("\r\n")
		}
	}
	return []byte(b.String())
}

func genHTML(r *rand.Rand, size int) []byte {
	var b strings.Builder
	b.WriteString("<!DOCTYPE html>\n<html>\n   <head>\n      <meta charset=\"utf-8\" />\n" +
		"      <style lang=\"css\">\nbody {\n   background-color: #F4F4F4;\n   color: #333;\n}\n      </style>\n   </head>\n   <body>\n" +
		"      <h1>Autobahn WebSocket Testsuite Report — Übersicht</h1>\n      <table>\n")
	classes := []string{"case_ok", "case_non_strict", "case_failed", "case_info"}
	for b.Len() < size {
		fmt.Fprintf(&b, "         <tr><td class=\"case_id\"><a href=\"#case_%d_%d_%d\">Case %d.%d.%d</a></td>"+
			"<td class=\"%s\"><a href=\"report_%d.html\">Pass</a></td><td class=\"close\">%d</td><td>%d ms</td></tr>\n",
			1+r.IntN(13), 1+r.IntN(9), 1+r.IntN(20), 1+r.IntN(13), 1+r.IntN(9), 1+r.IntN(20),
			classes[r.IntN(len(classes))], r.IntN(5000), 1000+r.IntN(12), r.IntN(3000))
		if r.IntN(200) == 0 {
			b.WriteString("         <tr><td colspan=\"4\">Größe — “non-strict” ✓</td></tr>\n")
		}
	}
	b.WriteString("      </table>\n   </body>\n</html>\n")
	return []byte(b.String())
}

func genPDF(r *rand.Rand, size int) []byte {
	out := []byte("%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
	for obj := 1; len(out) < size; obj++ {
		n := 1024 + r.IntN(16<<10)
		out = fmt.Appendf(out, "%d 0 obj\n<< /Length %d /Filter /FlateDecode >>\nstream\n", obj, n)
		for range n {
			out = append(out, byte(r.Uint32()))
		}
		out = append(out, "\nendstream\nendobj\n"...)
	}
	return out
}
