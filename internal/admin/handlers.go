package admin

import (
	"bytes"
	"embed"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/wsgate/wsgate/handshake"
	"github.com/wsgate/wsgate/internal/auth"
	"github.com/wsgate/wsgate/internal/metrics"
	"github.com/wsgate/wsgate/internal/topic"
)

//go:embed page/index.html page/admin.js page/admin.css
var page embed.FS

// pageCSP lets the page load only its own script and style and talk only to
// its own origin: no external assets, nothing inline, not framable.
const pageCSP = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; " +
	"img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

func (s *Server) routes() {
	s.mux.HandleFunc("GET /healthz", s.healthz)
	s.mux.HandleFunc("GET /readyz", s.readyz)
	s.Handle("GET /metrics", http.HandlerFunc(s.metrics))
	s.Handle("GET /api/status", http.HandlerFunc(s.status))
	s.Handle("POST /api/apps/{app}/publish", http.HandlerFunc(s.publish))
	s.Handle("/api/apps/{app}/publish", http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Allow", http.MethodPost)
		jsonError(w, http.StatusMethodNotAllowed, "admin: method not allowed: publish with POST")
	}))
	s.Handle("/api/", http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		jsonError(w, http.StatusNotFound, "admin: no such API endpoint")
	}))
	for _, f := range []struct{ pattern, file, ctype string }{
		{"GET /{$}", "page/index.html", "text/html; charset=utf-8"},
		{"GET /admin.js", "page/admin.js", "text/javascript; charset=utf-8"},
		{"GET /admin.css", "page/admin.css", "text/css; charset=utf-8"},
	} {
		body, err := page.ReadFile(f.file)
		if err != nil {
			panic(err) // embedded above: cannot happen
		}
		ctype := f.ctype
		s.mux.HandleFunc(f.pattern, func(w http.ResponseWriter, _ *http.Request) {
			h := w.Header()
			h.Set("Content-Type", ctype)
			h.Set("Content-Security-Policy", pageCSP)
			h.Set("Referrer-Policy", "no-referrer")
			h.Set("X-Content-Type-Options", "nosniff")
			h.Set("X-Frame-Options", "DENY")
			h.Set("Cache-Control", "no-cache")
			w.Write(body)
		})
	}
}

// protect wraps h with the bearer-token check.
func (s *Server) protect(h http.Handler) http.Handler {
	a := s.o.Auth
	if a.Method() == auth.None {
		return h
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, err := a.Verify([]byte(r.Header.Get("Authorization")), nil)
		if err == nil {
			h.ServeHTTP(w, r)
			return
		}
		status, msg := http.StatusUnauthorized, "admin: missing or wrong bearer token"
		var he *handshake.Error
		if errors.As(err, &he) {
			status = he.Status
			for line := range strings.SplitSeq(strings.TrimSuffix(he.Header, "\r\n"), "\r\n") {
				if name, value, ok := strings.Cut(line, ": "); ok {
					w.Header().Set(name, value)
				}
			}
		}
		if status == http.StatusForbidden {
			msg = "admin: this token's user is not permitted"
		}
		if s.logs.allow() {
			// The remote address only: never the header, the query or the token.
			s.o.Logger.Warn("admin: request refused", "status", status, "remote", r.RemoteAddr, "path", r.URL.Path)
		}
		jsonError(w, status, msg)
	})
}

func (s *Server) healthz(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	io.WriteString(w, "ok\n")
}

func (s *Server) readyz(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	ok, reason := s.o.Source.Ready()
	if !ok {
		w.WriteHeader(http.StatusServiceUnavailable)
		io.WriteString(w, "not ready: "+oneLine(reason)+"\n")
		return
	}
	io.WriteString(w, "ready\n")
}

func (s *Server) status(w http.ResponseWriter, _ *http.Request) {
	st := s.o.Source.Status()
	st.Version, st.GoVersion = s.o.Version, runtime.Version()
	st.Started = s.o.Started
	st.UptimeSeconds = time.Since(s.o.Started).Round(time.Millisecond).Seconds()
	st.Ready, st.NotReady = s.o.Source.Ready()
	if st.Ready {
		st.NotReady = ""
	}
	st.normalize()
	body, err := json.Marshal(&st)
	if err != nil {
		jsonError(w, http.StatusInternalServerError, "admin: "+err.Error())
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.Write(append(body, '\n'))
}

func (s *Server) metrics(w http.ResponseWriter, _ *http.Request) {
	var buf bytes.Buffer
	mw := metrics.NewWriter(&buf)
	mw.Family("wsgate_build_info", metrics.TypeGauge, "Always 1; the labels name the build.")
	mw.Int("wsgate_build_info", 1, metrics.L("version", s.o.Version), metrics.L("goversion", runtime.Version()))
	mw.Family("wsgate_start_time_seconds", metrics.TypeGauge, "Start time of the process in seconds since the Unix epoch.")
	mw.Float("wsgate_start_time_seconds", float64(s.o.Started.UnixMilli())/1000)
	ready, _ := s.o.Source.Ready()
	mw.Family("wsgate_ready", metrics.TypeGauge, "1 when every listener is up and the cluster broker (if any) is connected, else 0.")
	mw.Int("wsgate_ready", b2i(ready))
	mw.Family("wsgate_admin_connections", metrics.TypeGauge, "Open connections to the admin listener.")
	mw.Int("wsgate_admin_connections", s.Connections())
	mw.Family("wsgate_admin_refused_total", metrics.TypeCounter, "Admin connections refused past max_connections.")
	mw.Uint("wsgate_admin_refused_total", s.refused())
	s.o.Source.WritePrometheus(mw)
	if err := mw.Err(); err != nil && s.logs.allow() {
		// A programming error in the Source: the bad family is left out, the rest is served.
		s.o.Logger.Error("admin: metrics", "err", err)
	}
	w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	mw.Flush()
	w.Write(buf.Bytes())
}

func (s *Server) publish(w http.ResponseWriter, r *http.Request) {
	if s.o.Publisher == nil {
		jsonError(w, http.StatusNotImplemented, "admin: publishing is not available in this gateway")
		return
	}
	// The same request reader as pubsub.PublishHandler (topic.ReadPublish): '+' in the
	// query is the MQTT wildcard, not a form-encoded space, so "?topic=a/+" is refused as one.
	t, retain, body, status, err := topic.ReadPublish(w, r, s.o.MaxPublishBytes)
	if err != nil {
		jsonError(w, status, "admin: "+strings.TrimPrefix(err.Error(), "topic: "))
		return
	}
	n, status, err := s.o.Publisher.Publish(r.PathValue("app"), t, r.Header.Get("Content-Type"), body, retain)
	if err != nil {
		if status < 400 || status > 599 {
			status = http.StatusInternalServerError
		}
		jsonError(w, status, err.Error())
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	io.WriteString(w, `{"delivered":`+strconv.Itoa(n)+"}\n")
}

// jsonError answers {"error":"…"} on one line.
func jsonError(w http.ResponseWriter, status int, msg string) {
	body, _ := json.Marshal(struct {
		Error string `json:"error"`
	}{oneLine(msg)})
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	w.Write(append(body, '\n'))
}

func oneLine(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '\n' || r == '\r' {
			return ' '
		}
		return r
	}, s)
}

func b2i(b bool) int64 {
	if b {
		return 1
	}
	return 0
}
