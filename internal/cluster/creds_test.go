package cluster

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/nats-io/jwt/v2"
	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nkeys"

	"github.com/wsgate/wsgate/internal/natstest"
)

// TestCredsFile: a NATS .creds file signed by the operator the server trusts connects; one
// from an operator it does not know is refused at start with ErrRefused.
func TestCredsFile(t *testing.T) {
	trusted, trustedCreds := operatorWithUser(t)
	_, strangerCreds := operatorWithUser(t)
	s := natstest.Run(t, 0, func(o *server.Options) {
		o.TrustedOperators = []*jwt.OperatorClaims{trusted.claims}
		o.AccountResolver = trusted.resolver
	})
	dir := t.TempDir()
	good, bad := filepath.Join(dir, "good.creds"), filepath.Join(dir, "bad.creds")
	if err := os.WriteFile(good, trustedCreds, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bad, strangerCreds, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := New(Options{URLs: []string{natstest.URL(s)}, Credentials: bad, Logger: quietLogger()}); !errors.Is(err, ErrRefused) {
		t.Fatalf("untrusted creds: %v, want ErrRefused", err)
	}
	n := newNode(t, s, func(o *Options) { o.Credentials = good })
	if !n.Status().Connected {
		t.Fatal("not connected with trusted creds")
	}
}

type operator struct {
	claims   *jwt.OperatorClaims
	resolver *server.MemAccResolver
}

// operatorWithUser makes an operator, one account and one user, and returns the user's
// .creds file contents.
func operatorWithUser(t *testing.T) (operator, []byte) {
	t.Helper()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	okp, err := nkeys.CreateOperator()
	must(err)
	opub, _ := okp.PublicKey()
	oc := jwt.NewOperatorClaims(opub)
	akp, err := nkeys.CreateAccount()
	must(err)
	apub, _ := akp.PublicKey()
	ajwt, err := jwt.NewAccountClaims(apub).Encode(okp)
	must(err)
	ukp, err := nkeys.CreateUser()
	must(err)
	upub, _ := ukp.PublicKey()
	ujwt, err := jwt.NewUserClaims(upub).Encode(akp)
	must(err)
	seed, _ := ukp.Seed()
	creds, err := jwt.FormatUserConfig(ujwt, seed)
	must(err)
	r := &server.MemAccResolver{}
	must(r.Store(apub, ajwt))
	return operator{claims: oc, resolver: r}, creds
}
