package harness

import (
	"fmt"
	"html"
	"math"
	"strings"
)

// palette gives each server a fixed colour; the baseline is drawn in black.
var palette = []string{"#222222", "#d62728", "#1f77b4", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#17becf", "#e377c2"}

// SVG draws the headline ratios as grouped horizontal bars on a log scale
// around the baseline's 1.0: one group per case, one bar per server.
func (rep *Report) SVG() string {
	const (
		left, right, top = 230.0, 60.0, 60.0
		width            = 980.0
		barH, gap        = 11.0, 16.0
	)
	plotW := width - left - right
	lo, hi := 0.5, 2.0
	for _, c := range rep.Plan.Cases {
		for _, s := range rep.Servers {
			if r := rep.ratio(c, s); r > 0 && !math.IsInf(r, 0) {
				lo, hi = min(lo, r), max(hi, r)
			}
		}
	}
	lo, hi = math.Pow(2, math.Floor(math.Log2(lo))), math.Pow(2, math.Ceil(math.Log2(hi)))
	x := func(v float64) float64 {
		return left + plotW*(math.Log2(v)-math.Log2(lo))/(math.Log2(hi)-math.Log2(lo))
	}
	groupH := float64(len(rep.Servers))*barH + gap
	height := top + float64(len(rep.Plan.Cases))*groupH + 40

	var b strings.Builder
	w := func(format string, a ...any) { fmt.Fprintf(&b, format, a...) }
	w(`<svg xmlns="http://www.w3.org/2000/svg" width="%.0f" height="%.0f" viewBox="0 0 %.0f %.0f" font-family="sans-serif" font-size="11">`+"\n", width, height, width, height)
	w(`<rect width="100%%" height="100%%" fill="white"/>` + "\n")
	w(`<text x="%.0f" y="18" font-size="14" font-weight="bold">Ratio to %s = 1.0, log scale (↑ higher is better, ↓ lower is better)</text>`+"\n", 10.0, html.EscapeString(rep.Base))
	// Legend.
	lx := 10.0
	for i, s := range rep.Servers {
		w(`<rect x="%.0f" y="30" width="10" height="10" fill="%s"/><text x="%.0f" y="39">%s</text>`+"\n", lx, palette[i%len(palette)], lx+14, html.EscapeString(s))
		lx += 20 + 7*float64(len(s)) + 10
	}
	// Grid at powers of two.
	for v := lo; v <= hi*1.0001; v *= 2 {
		stroke := "#dddddd"
		if math.Abs(v-1) < 1e-9 {
			stroke = "#000000"
		}
		w(`<line x1="%.1f" y1="%.0f" x2="%.1f" y2="%.0f" stroke="%s"/>`+"\n", x(v), top-6, x(v), height-34, stroke)
		w(`<text x="%.1f" y="%.0f" text-anchor="middle" fill="#555">%s</text>`+"\n", x(v), height-20, fmtTick(v))
	}
	for ci, c := range rep.Plan.Cases {
		gy := top + float64(ci)*groupH
		h := headlineOf(c)
		w(`<text x="%.0f" y="%.1f" text-anchor="end" font-weight="bold">%s</text>`+"\n", left-8, gy+barH, html.EscapeString(c.Title))
		arrow := " ↑"
		if h.lower {
			arrow = " ↓"
		}
		w(`<text x="%.0f" y="%.1f" text-anchor="end" fill="#555">%s</text>`+"\n", left-8, gy+2*barH+2, html.EscapeString(h.label+arrow))
		for si, s := range rep.Servers {
			r := rep.ratio(c, s)
			y := gy + float64(si)*barH
			if math.IsNaN(r) || r <= 0 || math.IsInf(r, 0) {
				continue
			}
			x0, x1 := x(1), x(r)
			if x1 < x0 {
				x0, x1 = x1, x0
			}
			w(`<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s"><title>%s %s: %.2f</title></rect>`+"\n",
				x0, y, math.Max(x1-x0, 1.5), barH-2, palette[si%len(palette)], html.EscapeString(s), html.EscapeString(c.Key), r)
			w(`<text x="%.1f" y="%.1f" font-size="9" fill="#333">%.2f</text>`+"\n", x1+3, y+barH-3, r)
		}
	}
	w("</svg>\n")
	return b.String()
}

func fmtTick(v float64) string {
	if v >= 1 {
		return fmt.Sprintf("%g×", v)
	}
	return fmt.Sprintf("1/%g", 1/v)
}
