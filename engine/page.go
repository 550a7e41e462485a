package engine

import (
	"html"
	"strings"
)

// The default page of the HTTP service, served when no static root is configured. It is
// built with html.EscapeString rather than html/template: the template package calls
// methods by name through reflection, which keeps the linker from dropping unused methods
// and costs the stripped binary about 2.2 MB.
const (
	pageHead = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>wsgate</title>
<style>body{font:15px/1.5 system-ui,sans-serif;margin:2em auto;max-width:46em;padding:0 1em}
table{border-collapse:collapse}td,th{border-bottom:1px solid #ddd;padding:.3em .8em;text-align:left}
code{background:#f4f4f4;padding:0 .2em}</style></head>
<body><h1>wsgate</h1>
<p>A WebSocket gateway. WebSocket clients connect to the applications below; this page is
served by the HTTP service because no static root is configured.</p>
<h2>Servers</h2><table><tr><th>name</th><th>address</th></tr>
`
	pageMiddle = `</table>
<h2>Applications</h2><table><tr><th>name</th><th>path</th><th>reachable on</th><th>subprotocols</th></tr>
`
	pageNoApps = `<tr><td colspan="4">none registered</td></tr>
`
	pageTail = `</table></body></html>
`
)

// renderPage renders the default page for the configured listeners and applications.
func (s *Server) renderPage() []byte {
	var b strings.Builder
	cell := func(v string, code bool) {
		b.WriteString("<td>")
		if code {
			b.WriteString("<code>")
		}
		b.WriteString(html.EscapeString(v))
		if code {
			b.WriteString("</code>")
		}
		b.WriteString("</td>")
	}
	b.WriteString(pageHead)
	for _, l := range s.listenerList() {
		b.WriteString("<tr>")
		cell(l.name, false)
		cell(l.address, true)
		b.WriteString("</tr>\n")
	}
	b.WriteString(pageMiddle)
	routes := s.reg.Table().Routes()
	for _, rt := range routes {
		scope := "every server"
		if len(rt.Spec.Scope) > 0 {
			scope = strings.Join(rt.Spec.Scope, ", ")
		}
		b.WriteString("<tr>")
		cell(rt.Spec.Name, false)
		cell(rt.Spec.Path, true)
		cell(scope, false)
		cell(strings.Join(rt.Spec.Subprotocols, ", "), false)
		b.WriteString("</tr>\n")
	}
	if len(routes) == 0 {
		b.WriteString(pageNoApps)
	}
	b.WriteString(pageTail)
	return []byte(b.String())
}
