package rpc

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// The files of the endpoint's self-signed certificate, in the data
// directory given to LoadOrCreateCertificate.
const (
	certificateFile = "admin-rpc.crt"
	keyFile         = "admin-rpc.key"
	// certificateLifetime is how long a made certificate is valid. The
	// client pins the fingerprint rather than checking a chain, so a long
	// life spares administrators a changed-certificate warning.
	certificateLifetime = 10 * 365 * 24 * time.Hour
	certificateName     = "Mailwright administration"
	// maxRequestBytes bounds a request body; the largest legitimate one
	// carries a PEM certificate with its key.
	maxRequestBytes = 4 << 20
)

// LoadOrCreateCertificate returns the administration endpoint's certificate
// from dir/admin-rpc.crt and dir/admin-rpc.key, first making a self-signed
// one (ECDSA P-256, valid ten years, for localhost, 127.0.0.1, ::1 and this
// host's name) when neither file exists. The string is the certificate's
// fingerprint (see Fingerprint), which the Administrator shows on first
// connect.
func LoadOrCreateCertificate(dir string) (tls.Certificate, string, error) {
	certPath, keyPath := filepath.Join(dir, certificateFile), filepath.Join(dir, keyFile)
	_, certErr := os.Stat(certPath)
	_, keyErr := os.Stat(keyPath)
	if errors.Is(certErr, os.ErrNotExist) && errors.Is(keyErr, os.ErrNotExist) {
		if err := createCertificate(certPath, keyPath); err != nil {
			return tls.Certificate{}, "", err
		}
	}
	cert, err := tls.LoadX509KeyPair(certPath, keyPath)
	if err != nil {
		return tls.Certificate{}, "", fmt.Errorf("rpc: loading the administration certificate: %w", err)
	}
	if cert.Leaf == nil {
		if cert.Leaf, err = x509.ParseCertificate(cert.Certificate[0]); err != nil {
			return tls.Certificate{}, "", fmt.Errorf("rpc: parsing the administration certificate: %w", err)
		}
	}
	return cert, Fingerprint(cert.Leaf), nil
}

// createCertificate writes a new self-signed certificate and its key (the
// key readable by the owner only).
func createCertificate(certPath, keyPath string) error {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return fmt.Errorf("rpc: making the administration key: %w", err)
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return fmt.Errorf("rpc: making a serial number: %w", err)
	}
	now := time.Now()
	template := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: certificateName},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(certificateLifetime),
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		DNSNames:              []string{"localhost"},
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
	}
	if host, err := os.Hostname(); err == nil && host != "" && !strings.EqualFold(host, "localhost") {
		template.DNSNames = append(template.DNSNames, host)
	}
	der, err := x509.CreateCertificate(rand.Reader, template, template, &key.PublicKey, key)
	if err != nil {
		return fmt.Errorf("rpc: making the administration certificate: %w", err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return fmt.Errorf("rpc: encoding the administration key: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(certPath), 0o700); err != nil {
		return fmt.Errorf("rpc: %w", err)
	}
	// The key first: a certificate without its key would not load.
	if err := writeNewFile(keyPath, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		return err
	}
	return writeNewFile(certPath, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644)
}

// writeNewFile writes data to path through a temporary file, so a crash
// leaves either no file or a whole one.
func writeNewFile(path string, data []byte, mode os.FileMode) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("rpc: %w", err)
	}
	defer os.Remove(tmp.Name())
	err = tmp.Chmod(mode)
	if err == nil {
		_, err = tmp.Write(data)
	}
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		return fmt.Errorf("rpc: writing %s: %w", path, err)
	}
	return nil
}

// Fingerprint is the SHA-256 of the certificate's DER encoding in upper-case
// hex pairs separated by colons, as browsers and openssl show it.
func Fingerprint(cert *x509.Certificate) string {
	return fingerprintDER(cert.Raw)
}

func fingerprintDER(der []byte) string {
	sum := sha256.Sum256(der)
	pairs := make([]string, len(sum))
	for i, b := range sum {
		pairs[i] = strings.ToUpper(hex.EncodeToString([]byte{b}))
	}
	return strings.Join(pairs, ":")
}

// ListenAndServe serves the API over HTTPS (TLS 1.2 or later, HTTP/1.1 and
// HTTP/2) on addr with cert until ctx ends. It returns the address it
// listens on (useful with port 0) and a channel that receives the server's
// end: nil after ctx ended and the server shut down, or the error that
// stopped it. Streams still open at shutdown are ended.
func (s *Server) ListenAndServe(ctx context.Context, addr string, cert tls.Certificate) (net.Addr, <-chan error, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, nil, fmt.Errorf("rpc: listening on %s: %w", addr, err)
	}
	// Requests run under base, which ends when shutdown starts, so a
	// follower of the live log does not hold the shutdown up.
	base, endRequests := context.WithCancel(context.WithoutCancel(ctx))
	var protocols http.Protocols
	protocols.SetHTTP1(true)
	protocols.SetHTTP2(true)
	srv := &http.Server{
		Handler:           http.MaxBytesHandler(s.Handler(), maxRequestBytes),
		TLSConfig:         &tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{cert}},
		Protocols:         &protocols,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		BaseContext:       func(net.Listener) context.Context { return base },
		// TLS handshake errors from port scanners are not worth a warning.
		ErrorLog: slog.NewLogLogger(s.opts.Log.Handler(), slog.LevelDebug),
	}
	srv.RegisterOnShutdown(endRequests)

	done := make(chan error, 1)
	served := make(chan struct{})
	go func() {
		defer close(served)
		err := srv.ServeTLS(ln, "", "")
		if errors.Is(err, http.ErrServerClosed) {
			err = nil
		}
		if err != nil {
			endRequests()
			done <- fmt.Errorf("rpc: serving on %s: %w", ln.Addr(), err)
			close(done)
		}
	}()
	go func() {
		select {
		case <-ctx.Done():
		case <-served:
			return
		}
		shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		err := srv.Shutdown(shutdownCtx)
		if err != nil {
			err = srv.Close()
		}
		<-served
		done <- err
		close(done)
	}()
	s.opts.Log.Info("admin: administration RPC listening", "address", ln.Addr().String())
	return ln.Addr(), done, nil
}
