package auth_test

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/wsgate/wsgate/handshake"
	"github.com/wsgate/wsgate/internal/auth"
)

// A token application: the file holds the SHA-256 of each token, and a
// browser offers its token as a subprotocol entry.
func ExampleAuthenticator_Verify() {
	dir, _ := os.MkdirTemp("", "auth")
	defer os.RemoveAll(dir)
	file := filepath.Join(dir, "tokens")
	os.WriteFile(file, []byte("# name:sha256(token)\nsensor-7:"+auth.HashToken("n0t-a-real-token")+"\n"), 0o600)

	a, err := auth.Load(auth.Token, file, nil, "sensors")
	if err != nil {
		fmt.Println(err)
		return
	}
	user, err := a.Verify(nil, [][]byte{[]byte("chat, bearer.n0t-a-real-token")})
	fmt.Printf("%q %v\n", user, err)

	_, err = a.Verify([]byte("Bearer wrong"), nil)
	fmt.Println(err, err.(*handshake.Error).Header == a.Challenge().Header)
	fmt.Printf("%q\n", a.Challenge().Header)
	fmt.Println(auth.IsBearerProtocol([]byte("bearer.n0t-a-real-token")), auth.IsBearerProtocol([]byte("chat")))
	// Output:
	// "sensor-7" <nil>
	// handshake: 401 Unauthorized true
	// "WWW-Authenticate: Bearer realm=\"sensors\"\r\n"
	// true false
}
