package engine

import (
	"bytes"
	"html/template"
)

// pageTemplate is the embedded default page of the HTTP service: what the gateway serves.
var pageTemplate = template.Must(template.New("page").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>wsgate</title>
<style>body{font:15px/1.5 system-ui,sans-serif;margin:2em auto;max-width:46em;padding:0 1em}
table{border-collapse:collapse}td,th{border-bottom:1px solid #ddd;padding:.3em .8em;text-align:left}
code{background:#f4f4f4;padding:0 .2em}</style></head>
<body><h1>wsgate</h1>
<p>A WebSocket gateway. WebSocket clients connect to the applications below; this page is
served by the HTTP service because no static root is configured.</p>
<h2>Servers</h2><table><tr><th>name</th><th>address</th></tr>
{{range .Listeners}}<tr><td>{{.Name}}</td><td><code>{{.Addr}}</code></td></tr>{{end}}
</table>
<h2>Applications</h2><table><tr><th>name</th><th>path</th><th>reachable on</th><th>subprotocols</th></tr>
{{range .Apps}}<tr><td>{{.Name}}</td><td><code>{{.Path}}</code></td><td>{{.Scope}}</td><td>{{.Protocols}}</td></tr>
{{else}}<tr><td colspan="4">none registered</td></tr>{{end}}
</table></body></html>
`))

// renderPage renders the default page for the configured listeners and applications.
func (s *Server) renderPage() []byte {
	type row struct{ Name, Addr, Path, Scope, Protocols string }
	var data struct{ Listeners, Apps []row }
	for _, l := range s.listenerList() {
		data.Listeners = append(data.Listeners, row{Name: l.name, Addr: l.address})
	}
	for _, rt := range s.reg.Table().Routes() {
		scope := "every server"
		if len(rt.Spec.Scope) > 0 {
			scope = joinComma(rt.Spec.Scope)
		}
		data.Apps = append(data.Apps, row{Name: rt.Spec.Name, Path: rt.Spec.Path, Scope: scope, Protocols: joinComma(rt.Spec.Subprotocols)})
	}
	var b bytes.Buffer
	if err := pageTemplate.Execute(&b, data); err != nil {
		panic(err) // the template and its data are ours: a failure is a programming error
	}
	return b.Bytes()
}

func joinComma(list []string) string {
	var b bytes.Buffer
	for i, s := range list {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(s)
	}
	return b.String()
}
