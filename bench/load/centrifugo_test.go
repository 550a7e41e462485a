package load

import (
	"encoding/json"
	"strings"
	"testing"
)

// The Centrifugo commands are valid JSON of the protocol's shape, and a push carrying a
// publish's data reads back its sequence number and time.
func TestCentrifugoCodec(t *testing.T) {
	for _, c := range []*Conn{{topic: 3}, {topic: 0, pub: true}} {
		for _, line := range strings.Split(string(centrifugoOpen(nil, c)), "\n") {
			if !json.Valid([]byte(line)) {
				t.Errorf("open line %q is not JSON", line)
			}
		}
	}
	cmd := centrifugoPublish(nil, 17, 123456, 3, 64)
	var v struct {
		ID      int `json:"id"`
		Publish struct {
			Channel string          `json:"channel"`
			Data    json.RawMessage `json:"data"`
		} `json:"publish"`
	}
	if err := json.Unmarshal(cmd, &v); err != nil || v.Publish.Channel != "t3" || v.ID != 27 {
		t.Fatalf("publish %s: %+v %v", cmd, v, err)
	}
	if len(v.Publish.Data) < 64-16 {
		t.Errorf("data %d bytes, want about 64", len(v.Publish.Data))
	}
	push := `{"push":{"channel":"t3","pub":{"data":` + string(v.Publish.Data) + `}}}`
	seq, at, ok := centrifugoPush([]byte(push))
	if !ok || seq != 17 || at != 123456 {
		t.Errorf("push read %d %d %v", seq, at, ok)
	}
	if _, _, ok := centrifugoPush([]byte(`{"id":2,"subscribe":{}}`)); ok {
		t.Error("a reply read as a push")
	}
}
