package config_test

import (
	"errors"
	"fmt"

	"github.com/wsgate/wsgate/config"
)

func ExampleParse() {
	cfg, err := config.Parse([]byte(`
[websocket]
max_message_size = "64KiB"
ping_interval = "0"          # no server pings

[[standalone]]
name = "ws"
listen = "127.0.0.1:8082"

[[app]]
name = "echo"
kind = "echo"
path = "/echo"               # scope left out: every server
`))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(cfg.HTTP.Listen, cfg.WebSocket.MaxMessageSize, cfg.WebSocket.PingInterval, cfg.WebSocket.MaxConnections)
	for _, app := range cfg.Apps {
		fmt.Println(app.Name, app.Path, app.Scope, app.Auth)
	}
	// Output:
	// 127.0.0.1:8080 64KiB 0s 50000
	// echo /echo [http ws] none
}

func ExampleParse_errors() {
	_, err := config.Parse([]byte(`
[websocket]
max_message_size = 0
[[app]]
name = "echo"
kind = "echo"
path = "/echo"
scope = ["wss"]
`))
	fmt.Println(err)
	var fe *config.FieldError
	if errors.As(err, &fe) && errors.Is(err, config.ErrInvalid) {
		fmt.Println("first field:", fe.Field)
	}
	// Output:
	// config: websocket.max_message_size: must be > 0
	// config: app[0].scope: unknown server "wss"
	// first field: websocket.max_message_size
}

func ExampleSize() {
	s, err := config.ParseSize("2 MiB")
	fmt.Println(int64(s), s, err)
	_, err = config.ParseSize("1.5MiB")
	fmt.Println(err)
	// Output:
	// 2097152 2MiB <nil>
	// config: invalid size "1.5MiB": no fractions: use a smaller unit, such as "1536KiB"
}
