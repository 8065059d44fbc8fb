package rpc

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"connectrpc.com/connect"

	adminv1 "github.com/mailwright/mailwright/rpc/gen/mailwright/admin/v1"
)

// bareServer serves the API without a store on addr with a new
// certificate, until stop is called. Enough to dial and shake hands.
func bareServer(t *testing.T, addr string) (listening string, fingerprint string, stop func()) {
	t.Helper()
	cert, fingerprint, err := LoadOrCreateCertificate(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	a, done, err := NewServer(Options{}).ListenAndServe(ctx, addr, cert)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	stopped := false
	stop = func() {
		if !stopped {
			stopped = true
			cancel()
			<-done
		}
	}
	t.Cleanup(stop)
	return a.String(), fingerprint, stop
}

func TestDialPinsTheCertificate(t *testing.T) {
	ctx := testContext(t)
	known := filepath.Join(t.TempDir(), "config", "known_servers")
	addr, first, stopFirst := bareServer(t, "127.0.0.1:0")

	t.Run("unknown_server_is_refused_without_consent", func(t *testing.T) {
		_, err := Dial(ctx, addr, DialOptions{KnownServersFile: known})
		if !errors.Is(err, ErrUnknownServer) || !strings.Contains(err.Error(), first) {
			t.Fatalf("Dial = %v, want ErrUnknownServer naming %s", err, first)
		}
		if _, err := os.Stat(known); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("a refused server was recorded (stat: %v)", err)
		}
	})
	t.Run("AcceptNew_is_shown_the_fingerprint_and_can_refuse", func(t *testing.T) {
		var shown string
		_, err := Dial(ctx, addr, DialOptions{KnownServersFile: known, AcceptNew: func(f string) bool { shown = f; return false }})
		if !errors.Is(err, ErrUnknownServer) || shown != first {
			t.Fatalf("Dial = %v with %q shown, want ErrUnknownServer after showing %s", err, shown, first)
		}
	})
	t.Run("trust_on_first_use_records_the_server", func(t *testing.T) {
		c, err := Dial(ctx, addr, DialOptions{KnownServersFile: known, TrustOnFirstUse: true})
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if c.Fingerprint != first || !c.NewlyTrusted {
			t.Errorf("Fingerprint %s, NewlyTrusted %v; want %s, true", c.Fingerprint, c.NewlyTrusted, first)
		}
		info, err := os.Stat(known)
		if err != nil {
			t.Fatal(err)
		}
		if info.Mode().Perm() != 0o600 {
			t.Errorf("known-servers file mode %v, want 0600", info.Mode().Perm())
		}
	})
	t.Run("recorded_server_needs_no_consent", func(t *testing.T) {
		c, err := Dial(ctx, addr, DialOptions{KnownServersFile: known})
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if c.NewlyTrusted {
			t.Error("a known server was recorded again")
		}
		// A server round trip works through the pinned transport.
		err = c.Login(ctx, "", "wrong")
		if connect.CodeOf(err) != connect.CodeUnauthenticated {
			t.Errorf("Login = %v, want Unauthenticated", err)
		}
	})

	// A client dialled before the certificate changes refuses the new
	// server on its next connection too.
	before, err := Dial(ctx, addr, DialOptions{KnownServersFile: known})
	if err != nil {
		t.Fatal(err)
	}
	defer before.Close()

	stopFirst()
	before.Close()
	_, second, _ := bareServer(t, addr)
	if second == first {
		t.Fatal("the second server has the first one's certificate")
	}

	t.Run("changed_certificate_is_refused", func(t *testing.T) {
		_, err := Dial(ctx, addr, DialOptions{KnownServersFile: known, TrustOnFirstUse: true})
		var changed *CertificateChangedError
		if !errors.Is(err, ErrCertificateChanged) || !errors.As(err, &changed) {
			t.Fatalf("Dial = %v, want ErrCertificateChanged", err)
		}
		if !strings.Contains(err.Error(), first) || !strings.Contains(err.Error(), second) {
			t.Errorf("error %q does not name both fingerprints", err)
		}
	})
	t.Run("client_dialled_before_the_change_refuses_the_new_server", func(t *testing.T) {
		err := before.Login(ctx, "", "wrong")
		if !errors.Is(err, ErrCertificateChanged) {
			t.Fatalf("Login through the old pin = %v, want ErrCertificateChanged", err)
		}
	})
	t.Run("AcceptChanged_records_the_new_certificate", func(t *testing.T) {
		c, err := Dial(ctx, addr, DialOptions{KnownServersFile: known, AcceptChanged: true})
		if err != nil {
			t.Fatal(err)
		}
		c.Close()
		if c.Fingerprint != second || !c.NewlyTrusted {
			t.Errorf("Fingerprint %s, NewlyTrusted %v; want %s, true", c.Fingerprint, c.NewlyTrusted, second)
		}
		c, err = Dial(ctx, addr, DialOptions{KnownServersFile: known})
		if err != nil {
			t.Fatalf("Dial after accepting the change: %v", err)
		}
		c.Close()
		servers, err := readKnownServers(known)
		if err != nil {
			t.Fatal(err)
		}
		if len(servers) != 1 || servers[addr] != second {
			t.Errorf("known servers = %v, want only %s %s", servers, addr, second)
		}
	})
}

func TestDialToNoServerIsServerDown(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	_, err = Dial(testContext(t), addr, DialOptions{KnownServersFile: filepath.Join(t.TempDir(), "known"), TrustOnFirstUse: true})
	if !errors.Is(err, ErrServerDown) || !strings.Contains(err.Error(), addr) {
		t.Fatalf("Dial = %v, want ErrServerDown naming %s", err, addr)
	}
}

func TestNormalizeAddr(t *testing.T) {
	tests := []struct{ in, want string }{
		{"127.0.0.1:8425", "127.0.0.1:8425"},
		{"mail.example.com", "mail.example.com:8425"},
		{"https://mail.example.com:9000/", "mail.example.com:9000"},
		{"::1", "[::1]:8425"},
		{"[::1]", "[::1]:8425"},
		{"[::1]:9000", "[::1]:9000"},
	}
	for _, tt := range tests {
		if got := normalizeAddr(tt.in); got != tt.want {
			t.Errorf("normalizeAddr(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestCurlWithJSONLogsIn(t *testing.T) {
	curl, err := exec.LookPath("curl")
	if err != nil {
		t.Fatal("curl is not installed: apt-get install curl (Debian package \"curl\")")
	}
	api := newTestAPI(t)
	call := func(t *testing.T, procedure, token, body string) []byte {
		t.Helper()
		args := []string{"-sk", "-X", "POST", "-H", "Content-Type: application/json", "-d", body}
		if token != "" {
			args = append(args, "-H", "Authorization: Bearer "+token)
		}
		out, err := exec.CommandContext(testContext(t), curl, append(args, api.URL+procedure)...).Output()
		if err != nil {
			t.Fatalf("curl %s: %v", procedure, err)
		}
		return out
	}

	body, _ := json.Marshal(map[string]string{"username": "", "password": testAdminPassword})
	out := call(t, "/mailwright.admin.v1.AuthService/Login", "", string(body))
	var login struct {
		Token     string `json:"token"`
		ExpiresAt string `json:"expiresAt"` // int64 is a string in protobuf JSON
		Level     string `json:"level"`
	}
	if err := json.Unmarshal(out, &login); err != nil || login.Token == "" {
		t.Fatalf("Login answered %s (%v), want a token", out, err)
	}
	if login.Level != adminv1.AdminLevel_ADMIN_LEVEL_SERVER.String() {
		t.Errorf("level %q, want %s", login.Level, adminv1.AdminLevel_ADMIN_LEVEL_SERVER)
	}

	out = call(t, "/mailwright.admin.v1.AuthService/WhoAmI", login.Token, "{}")
	if !strings.Contains(string(out), `"username":"Administrator"`) {
		t.Errorf("WhoAmI with the token answered %s", out)
	}
	out = call(t, "/mailwright.admin.v1.AuthService/WhoAmI", "", "{}")
	if !strings.Contains(string(out), `"code":"unauthenticated"`) {
		t.Errorf("WhoAmI without a token answered %s, want unauthenticated", out)
	}

	// The README's commands: a domain and an account made with curl.
	out = call(t, "/mailwright.admin.v1.DomainService/CreateDomain", login.Token, `{"name":"example.com","active":true}`)
	if !strings.Contains(string(out), `"name":"example.com"`) {
		t.Fatalf("CreateDomain answered %s", out)
	}
	out = call(t, "/mailwright.admin.v1.AccountService/CreateAccount", login.Token,
		`{"account":{"address":"user@example.com","active":true},"password":"s3cret"}`)
	if !strings.Contains(string(out), `"address":"user@example.com"`) {
		t.Fatalf("CreateAccount answered %s", out)
	}
	if _, err := api.Store.Authenticate(testContext(t), "user@example.com", "s3cret", "127.0.0.1"); err != nil {
		t.Fatalf("the account made with curl cannot log in: %v", err)
	}
	out = call(t, "/mailwright.admin.v1.DomainService/CreateDomain", login.Token, `{"name":"nodot"}`)
	if !strings.Contains(string(out), `"code":"invalid_argument"`) || !strings.Contains(string(out), `"field":"name"`) {
		t.Errorf("a domain without a dot answered %s, want invalid_argument naming the field", out)
	}
}
