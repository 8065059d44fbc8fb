package server

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"strconv"

	"github.com/mailwright/mailwright/store"
)

// tlsConfigFor loads a port's certificate (certificate file + key file).
// TLS 1.2 is the oldest version offered.
func tlsConfigFor(ctx context.Context, st *store.Store, certificateID int64) (*tls.Config, error) {
	if certificateID == 0 {
		return nil, nil
	}
	certs, err := st.Certificates(ctx)
	if err != nil {
		return nil, err
	}
	for _, c := range certs {
		if c.ID != certificateID {
			continue
		}
		pair, err := tls.LoadX509KeyPair(c.CertificateFile, c.PrivateKeyFile)
		if err != nil {
			return nil, fmt.Errorf("certificate %q: %w", c.Name, err)
		}
		return &tls.Config{Certificates: []tls.Certificate{pair}, MinVersion: tls.VersionTLS12}, nil
	}
	return nil, fmt.Errorf("no certificate has id %d", certificateID)
}

// listen opens a port's listener. 0.0.0.0 listens on every IPv4 address
// and :: on every address.
func listen(ctx context.Context, p store.Port) (net.Listener, error) {
	addr := net.JoinHostPort(p.Address.String(), strconv.Itoa(p.Port))
	network := "tcp"
	if p.Address.Is4() {
		network = "tcp4"
	}
	var lc net.ListenConfig
	return lc.Listen(ctx, network, addr)
}

// errNoCertificate is why a TLS port is not opened.
var errNoCertificate = errors.New("the port uses TLS but has no SSL certificate")
