package gateway

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"

	"github.com/wsgate/wsgate/apps/pubsub"
	"github.com/wsgate/wsgate/config"
	"github.com/wsgate/wsgate/internal/auth"
	"github.com/wsgate/wsgate/internal/tlsconn"
)

// CheckFiles opens every file cfg names, as the server would at start: each certificate
// and key pair (parsed and matched), each application's credentials file and ACL, the
// admin listener's token file, the cluster's credentials and CA files, and the static
// root. It returns the problems joined, each naming its field. It binds nothing.
func CheckFiles(cfg *config.Config) error {
	var errs []error
	pair := func(field, cert, key string) {
		if cert == "" && key == "" {
			return
		}
		if _, err := tlsconn.NewConfig(cert, key); err != nil {
			errs = append(errs, fmt.Errorf("%s.tls_cert/tls_key: %w", field, err))
		}
	}
	pair("http", cfg.HTTP.TLSCert, cfg.HTTP.TLSKey)
	for i, l := range cfg.Standalone {
		pair(fmt.Sprintf("standalone[%d]", i), l.TLSCert, l.TLSKey)
	}
	if root := cfg.HTTP.Root; root != "" {
		if fi, err := os.Stat(root); err != nil {
			errs = append(errs, fmt.Errorf("http.root: %w", err))
		} else if !fi.IsDir() {
			errs = append(errs, fmt.Errorf("http.root: %s is not a directory", root))
		}
	}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	for i := range cfg.Apps {
		if _, err := Authenticator(&cfg.Apps[i], quiet); err != nil {
			errs = append(errs, fmt.Errorf("app[%d].credentials: %w", i, err))
		}
		if acl := cfg.Apps[i].ACL; acl != "" {
			if _, err := pubsub.LoadACL(acl); err != nil {
				errs = append(errs, fmt.Errorf("app[%d].acl: %w", i, err))
			}
		}
	}
	cl := &cfg.Cluster
	for _, f := range []struct{ field, file string }{
		{"cluster.credentials", cl.Credentials}, {"cluster.tls_ca", cl.TLSCA},
	} {
		if f.file != "" {
			if _, err := os.ReadFile(f.file); err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", f.field, err))
			}
		}
	}
	pair("cluster", cl.TLSCert, cl.TLSKey)
	if cfg.Admin.Auth == "token" {
		if _, err := auth.Load(auth.Token, cfg.Admin.Credentials, nil, "wsgate admin"); err != nil {
			errs = append(errs, fmt.Errorf("admin.credentials: %w", err))
		}
	}
	return errors.Join(errs...)
}
