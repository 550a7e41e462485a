package engine

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"

	"github.com/wsgate/wsgate/apps"
)

// MQTT over WebSocket through the gateway to a real mosquitto broker (SPEC.md "proxy": the
// byte-stream upstream is how MQTT-over-WebSocket clients reach a broker). One Paho client
// speaks MQTT over ws:// through the gateway, another over plain TCP to the broker; they
// exchange QoS 0 and QoS 1 messages both ways.

const mosquittoPath = "/usr/sbin/mosquitto"

// startMosquitto runs a broker with its own configuration on a free loopback port and
// returns its address.
func startMosquitto(t *testing.T) string {
	t.Helper()
	if _, err := os.Stat(mosquittoPath); err != nil {
		t.Skip("mosquitto is not installed; install with: apt-get install -y mosquitto")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().(*net.TCPAddr)
	ln.Close()
	dir := t.TempDir()
	conf := filepath.Join(dir, "mosquitto.conf")
	body := fmt.Sprintf("listener %d 127.0.0.1\nallow_anonymous true\npersistence false\nlog_dest none\n", addr.Port)
	if err := os.WriteFile(conf, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(mosquittoPath, "-c", conf)
	if err := cmd.Start(); err != nil {
		t.Fatalf("start mosquitto: %v", err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if nc, err := net.DialTimeout("tcp", addr.String(), time.Second); err == nil {
			nc.Close()
			return addr.String()
		}
		if time.Now().After(deadline) {
			t.Fatal("mosquitto did not start listening")
		}
	}
}

// mqttClient connects a Paho client to broker (tcp:// or ws://).
func mqttClient(t *testing.T, broker, id string) mqtt.Client {
	t.Helper()
	opts := mqtt.NewClientOptions().AddBroker(broker).SetClientID(id).
		SetConnectTimeout(5 * time.Second).SetAutoReconnect(false).SetCleanSession(true)
	c := mqtt.NewClient(opts)
	if tok := c.Connect(); !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		t.Fatalf("%s: connect to %s: %v", id, broker, tok.Error())
	}
	t.Cleanup(func() { c.Disconnect(100) })
	return c
}

type mqttMessage struct {
	topic, payload string
	qos            byte
}

// subscribe subscribes c to topic at QoS 1 and returns the channel of what arrives.
func subscribe(t *testing.T, c mqtt.Client, topic string) <-chan mqttMessage {
	t.Helper()
	ch := make(chan mqttMessage, 16)
	tok := c.Subscribe(topic, 1, func(_ mqtt.Client, m mqtt.Message) {
		ch <- mqttMessage{m.Topic(), string(m.Payload()), m.Qos()}
	})
	if !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		t.Fatalf("subscribe %s: %v", topic, tok.Error())
	}
	return ch
}

func publish(t *testing.T, c mqtt.Client, topic string, qos byte, payload string) {
	t.Helper()
	if tok := c.Publish(topic, qos, false, payload); !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		t.Fatalf("publish %s qos %d: %v", topic, qos, tok.Error())
	}
}

func expect(t *testing.T, ch <-chan mqttMessage, want mqttMessage) {
	t.Helper()
	select {
	case got := <-ch:
		if got != want {
			t.Fatalf("got %+v, want %+v", got, want)
		}
	case <-time.After(5 * time.Second):
		t.Fatalf("no message %+v", want)
	}
}

func TestProxyMQTTOverWebSocketToMosquitto(t *testing.T) {
	broker := startMosquitto(t)
	srv := startProxy(t, apps.Spec{Subprotocols: []string{"mqtt"}}, ProxyConfig{Upstream: "tcp://" + broker})
	ws := mqttClient(t, "ws://"+srv.Addr(HTTPService)+"/p", "through-gateway")
	native := mqttClient(t, "tcp://"+broker, "native")
	if srv.Connections() != 1 {
		t.Fatalf("gateway has %d connections, want the Paho client's one", srv.Connections())
	}

	toWS := subscribe(t, ws, "gw/in")
	toNative := subscribe(t, native, "gw/out")
	for _, qos := range []byte{0, 1} {
		payload := fmt.Sprintf("to the WebSocket client at QoS %d", qos)
		publish(t, native, "gw/in", qos, payload)
		expect(t, toWS, mqttMessage{"gw/in", payload, qos})

		payload = fmt.Sprintf("from the WebSocket client at QoS %d", qos)
		publish(t, ws, "gw/out", qos, payload)
		expect(t, toNative, mqttMessage{"gw/out", payload, qos})
	}
	// A burst at QoS 1 keeps its order through the gateway.
	for i := range 100 {
		publish(t, ws, "gw/out", 1, fmt.Sprint("burst ", i))
	}
	for i := range 100 {
		expect(t, toNative, mqttMessage{"gw/out", fmt.Sprint("burst ", i), 1})
	}

	ws.Disconnect(250)
	deadline := time.Now().Add(5 * time.Second)
	for srv.Connections() != 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := srv.Connections(); n != 0 {
		t.Fatalf("%d gateway connections after the client disconnected", n)
	}
}
