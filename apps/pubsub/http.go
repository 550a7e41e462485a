package pubsub

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/wsgate/wsgate/internal/topic"
)

// MaxPublishBody is the largest body PublishHandler accepts: 413 past it.
const MaxPublishBody = 16 << 20

// PublishHandler serves the publish API, POST /api/apps/{app}/publish?topic=T[&retain=1],
// for the applications lookup finds by name (nil: unknown). The body is the payload; its
// Content-Type decides the kind (see KindOf). Answers, each one line of JSON:
//
//	200 {"delivered":N}        N local receivers written to
//	400 {"error":"..."}        missing or invalid topic, JSON body that is not JSON, text not UTF-8
//	404 {"error":"..."}        no such pubsub application (or not this path)
//	405                        a method other than POST (Allow: POST)
//	413 {"error":"..."}        a body over MaxPublishBody
//	507 {"error":"..."}        retain=1 and the retained store is full (count or bytes):
//	                           507 Insufficient Storage says the server has no room to keep it
//
// client_publish does not apply: this is the server publishing. The handler does not
// authenticate: the listener that mounts it does.
func PublishHandler(lookup func(app string) *App) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name, ok := strings.CutPrefix(r.URL.Path, "/api/apps/")
		if ok {
			name, ok = strings.CutSuffix(name, "/publish")
		}
		if !ok || name == "" || strings.Contains(name, "/") {
			answer(w, http.StatusNotFound, "not found")
			return
		}
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", http.MethodPost)
			answer(w, http.StatusMethodNotAllowed, "method not allowed: use POST")
			return
		}
		// '+' is the wildcard here too, not a space (topic.ParseQuery).
		t, retain, body, status, err := topic.ReadPublish(w, r, MaxPublishBody)
		if err != nil {
			answer(w, status, errorText(err))
			return
		}
		n, status, err := Directory(lookup).Publish(name, t, r.Header.Get("Content-Type"), body, retain)
		if err != nil {
			answer(w, status, errorText(err))
			return
		}
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"delivered":`+strconv.Itoa(n)+"}\n")
	})
}

// answer writes a one-line JSON error.
func answer(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	b := appendString([]byte(`{"error":`), []byte(strings.ToValidUTF8(msg, "\uFFFD")))
	w.Write(append(b, "}\n"...))
}

// Directory finds the pubsub applications of a gateway by name (nil: none of that name).
// Its Publish method is the publish API's publisher, in the shape the admin listener
// calls (internal/admin.Publisher): it returns the local deliveries, or the HTTP status
// and error to answer.
type Directory func(app string) *App

// Publish publishes body to app's topic, its kind chosen by contentType (KindOf). Errors
// come with the status to answer: 404 for an unknown application, 400 for a bad topic or
// payload, 507 when retain finds the retained store full. client_publish does not apply.
func (d Directory) Publish(app, topic, contentType string, body []byte, retain bool) (delivered, status int, err error) {
	a := d(app)
	if a == nil {
		return 0, http.StatusNotFound, fmt.Errorf("%w %q", ErrUnknownApp, app)
	}
	return publishStatus(a, topic, contentType, body, retain)
}

// ErrUnknownApp is Directory.Publish's error for a name that is not a pubsub application.
var ErrUnknownApp = errors.New("pubsub: unknown pubsub application")

// publishStatus is the publish API's one implementation: Publish and the status for its
// error.
func publishStatus(a *App, topic, contentType string, body []byte, retain bool) (int, int, error) {
	n, err := a.Publish(topic, KindOf(contentType), body, retain)
	switch {
	case err == nil:
		return n, http.StatusOK, nil
	case errors.Is(err, ErrRetainedFull):
		return 0, http.StatusInsufficientStorage, err
	}
	return 0, http.StatusBadRequest, err
}
