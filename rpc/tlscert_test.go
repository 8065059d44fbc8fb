package rpc

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/sha256"
	"encoding/hex"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestLoadOrCreateCertificate(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	cert, fingerprint, err := LoadOrCreateCertificate(dir)
	if err != nil {
		t.Fatal(err)
	}
	leaf := cert.Leaf

	t.Run("is_a_self_signed_P256_certificate_for_ten_years", func(t *testing.T) {
		key, ok := leaf.PublicKey.(*ecdsa.PublicKey)
		if !ok || key.Curve != elliptic.P256() {
			t.Errorf("public key %T, want ECDSA P-256", leaf.PublicKey)
		}
		if leaf.Subject.CommonName != "Mailwright administration" {
			t.Errorf("CN %q", leaf.Subject.CommonName)
		}
		if err := leaf.CheckSignature(leaf.SignatureAlgorithm, leaf.RawTBSCertificate, leaf.Signature); err != nil {
			t.Errorf("not self-signed: %v", err)
		}
		if life := time.Until(leaf.NotAfter); life < 9*365*24*time.Hour {
			t.Errorf("valid for %v more, want about ten years", life)
		}
	})
	t.Run("names_the_loopback_addresses_and_this_host", func(t *testing.T) {
		for _, name := range []string{"localhost", "127.0.0.1", "::1"} {
			if err := leaf.VerifyHostname(name); err != nil {
				t.Errorf("%s: %v", name, err)
			}
		}
		if host, err := os.Hostname(); err == nil && !slices.Contains(leaf.DNSNames, host) && host != "localhost" {
			t.Errorf("DNS names %v lack the host name %s", leaf.DNSNames, host)
		}
		if !slices.ContainsFunc(leaf.IPAddresses, func(ip net.IP) bool { return ip.Equal(net.IPv6loopback) }) {
			t.Errorf("IP addresses %v lack ::1", leaf.IPAddresses)
		}
	})
	t.Run("key_is_readable_by_the_owner_only", func(t *testing.T) {
		info, err := os.Stat(filepath.Join(dir, "admin-rpc.key"))
		if err != nil {
			t.Fatal(err)
		}
		if info.Mode().Perm() != 0o600 {
			t.Errorf("key mode %v, want 0600", info.Mode().Perm())
		}
	})
	t.Run("fingerprint_is_the_SHA256_of_the_DER_in_colon_separated_hex", func(t *testing.T) {
		if !regexp.MustCompile(`^([0-9A-F]{2}:){31}[0-9A-F]{2}$`).MatchString(fingerprint) {
			t.Errorf("fingerprint %q is not 32 colon-separated hex pairs", fingerprint)
		}
		sum := sha256.Sum256(cert.Certificate[0])
		if strings.ReplaceAll(fingerprint, ":", "") != strings.ToUpper(hex.EncodeToString(sum[:])) {
			t.Errorf("fingerprint %s is not the SHA-256 of the DER", fingerprint)
		}
		if Fingerprint(leaf) != fingerprint {
			t.Error("Fingerprint(leaf) differs from the one returned")
		}
	})
	t.Run("second_call_loads_the_same_certificate", func(t *testing.T) {
		again, fingerprintAgain, err := LoadOrCreateCertificate(dir)
		if err != nil {
			t.Fatal(err)
		}
		if fingerprintAgain != fingerprint || !again.Leaf.Equal(leaf) {
			t.Errorf("second call gave %s, first %s", fingerprintAgain, fingerprint)
		}
	})
	t.Run("certificate_without_its_key_is_an_error_not_replaced", func(t *testing.T) {
		other := t.TempDir()
		data, err := os.ReadFile(filepath.Join(dir, "admin-rpc.crt"))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(other, "admin-rpc.crt"), data, 0o644); err != nil {
			t.Fatal(err)
		}
		if _, _, err := LoadOrCreateCertificate(other); err == nil {
			t.Error("a certificate without its key loaded")
		}
		if _, err := os.Stat(filepath.Join(other, "admin-rpc.key")); err == nil {
			t.Error("a key was made for an existing certificate")
		}
	})
}
