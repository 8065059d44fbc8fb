package smtpclient

import (
	"crypto/tls"
	"encoding/base64"
	"errors"
	"slices"
	"strings"
	"testing"
)

// TestDeliverTLS covers STARTTLS, implicit TLS and certificate checks.
func TestDeliverTLS(t *testing.T) {
	withSTARTTLS := append([]string{"STARTTLS"}, defaultExtensions...)

	t.Run("opportunistic_STARTTLS_is_used_when_offered", func(t *testing.T) {
		p := startPeer(t, peerScript{ehlo: withSTARTTLS})
		res, err := deliver(t, p, testOptions(), testMessage)
		if err != nil {
			t.Fatal(err)
		}
		wantAccepted(t, res, true, true)
		s := p.session(0)
		wantNoProblems(t, s)
		if got := s.verbs(); !slices.Equal(got, []string{"EHLO", "STARTTLS", "EHLO", "MAIL", "RCPT", "RCPT", "DATA", "QUIT"}) {
			t.Errorf("commands %q", got)
		}
		for _, c := range s.commands[2:] {
			if !c.tls {
				t.Errorf("%q was sent in the clear", c.line)
			}
		}
		if !slices.ContainsFunc(res.Transcript, func(l string) bool { return strings.HasPrefix(l, "* TLS 1.3 established") }) {
			t.Errorf("the transcript does not say TLS was established")
		}
	})

	t.Run("required_STARTTLS_not_offered_fails_with_nothing_sent", func(t *testing.T) {
		p := startPeer(t, peerScript{})
		opts := testOptions()
		opts.Security = RequireTLS
		_, err := deliver(t, p, opts, testMessage)
		e := asError(t, err)
		if e.Stage != StageSTARTTLS || !e.Temporary || !errors.Is(err, ErrTLSNotOffered) {
			t.Errorf("error %+v", e)
		}
		if got := p.session(0).verbs(); !slices.Equal(got, []string{"EHLO", "QUIT"}) {
			t.Errorf("commands %q, want only EHLO and QUIT", got)
		}
	})

	t.Run("required_STARTTLS_refused_fails", func(t *testing.T) {
		p := startPeer(t, peerScript{ehlo: withSTARTTLS, replies: map[string][]string{"STARTTLS": {"454 4.7.0 TLS not available"}}})
		opts := testOptions()
		opts.Security = RequireTLS
		_, err := deliver(t, p, opts, testMessage)
		if e := asError(t, err); e.Stage != StageSTARTTLS || !e.Temporary || e.Reply.Code != 454 {
			t.Errorf("error %+v", e)
		}
		if got := p.session(0).verbs(); slices.Contains(got, "MAIL") {
			t.Errorf("commands %q", got)
		}
	})

	t.Run("opportunistic_STARTTLS_refused_goes_on_in_the_clear", func(t *testing.T) {
		p := startPeer(t, peerScript{ehlo: withSTARTTLS, replies: map[string][]string{"STARTTLS": {"454 4.7.0 TLS not available"}}})
		res, err := deliver(t, p, testOptions(), testMessage)
		if err != nil {
			t.Fatal(err)
		}
		wantAccepted(t, res, true, true)
		if got := p.session(0).verbs(); !slices.Equal(got, []string{"EHLO", "STARTTLS", "MAIL", "RCPT", "RCPT", "DATA", "QUIT"}) {
			t.Errorf("commands %q", got)
		}
	})

	t.Run("opportunistic_STARTTLS_whose_handshake_fails_is_retried_in_the_clear", func(t *testing.T) {
		p := startPeer(t, peerScript{ehlo: withSTARTTLS, breakTLS: true})
		res, err := deliver(t, p, testOptions(), testMessage)
		if err != nil {
			t.Fatal(err)
		}
		wantAccepted(t, res, true, true)
		if got := p.session(1).verbs(); !slices.Equal(got, []string{"EHLO", "MAIL", "RCPT", "RCPT", "DATA", "QUIT"}) {
			t.Errorf("second connection's commands %q", got)
		}
		if !slices.Contains(res.Transcript, "* retrying on a new connection without TLS") {
			t.Errorf("the transcript does not tell of the retry")
		}
	})

	t.Run("required_STARTTLS_whose_handshake_fails_is_an_error", func(t *testing.T) {
		p := startPeer(t, peerScript{ehlo: withSTARTTLS, breakTLS: true})
		opts := testOptions()
		opts.Security = RequireTLS
		_, err := deliver(t, p, opts, testMessage)
		if e := asError(t, err); e.Stage != StageSTARTTLS || !e.Temporary || e.Reply != nil {
			t.Errorf("error %+v", e)
		}
		if n := p.sessionCount(); n != 1 {
			t.Errorf("%d connections, want 1", n)
		}
	})

	t.Run("data_sent_after_the_reply_to_STARTTLS_is_refused", func(t *testing.T) {
		p := startPeer(t, peerScript{ehlo: withSTARTTLS, injectTLS: true})
		_, err := deliver(t, p, testOptions(), testMessage)
		if e := asError(t, err); e.Stage != StageSTARTTLS || !strings.Contains(e.Error(), "after its reply to STARTTLS") {
			t.Errorf("error %+v", e)
		}
	})

	t.Run("verified_certificate_that_is_self-signed_is_a_TLS_error", func(t *testing.T) {
		p := startPeer(t, peerScript{ehlo: withSTARTTLS})
		opts := testOptions()
		opts.VerifyCertificate = true
		_, err := deliver(t, p, opts, testMessage)
		e := asError(t, err)
		var verifyErr *tls.CertificateVerificationError
		if e.Stage != StageSTARTTLS || !e.Temporary || !errors.As(err, &verifyErr) {
			t.Errorf("error %+v", e)
		}
		if n := p.sessionCount(); n != 1 {
			t.Errorf("%d connections, want 1: a certificate that fails verification is not retried in the clear", n)
		}
		if got := p.session(0).verbs(); slices.Contains(got, "MAIL") {
			t.Errorf("commands %q", got)
		}
	})

	t.Run("verified_certificate_from_a_trusted_authority_is_accepted", func(t *testing.T) {
		p := startPeer(t, peerScript{ehlo: withSTARTTLS})
		opts := testOptions()
		opts.VerifyCertificate, opts.RootCAs, opts.Security = true, p.roots, RequireTLS
		if _, err := deliver(t, p, opts, testMessage); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("verified_certificate_for_another_name_is_a_TLS_error", func(t *testing.T) {
		p := startPeer(t, peerScript{ehlo: withSTARTTLS})
		opts := testOptions()
		opts.VerifyCertificate, opts.RootCAs, opts.ServerName = true, p.roots, "mx.elsewhere.example"
		_, err := deliver(t, p, opts, testMessage)
		if e := asError(t, err); e.Stage != StageSTARTTLS {
			t.Errorf("error %+v", e)
		}
	})

	t.Run("implicit_TLS_speaks_TLS_from_the_first_byte", func(t *testing.T) {
		p := startPeer(t, peerScript{implicitTLS: true})
		opts := testOptions()
		opts.Security = ImplicitTLS
		res, err := deliver(t, p, opts, testMessage)
		if err != nil {
			t.Fatal(err)
		}
		wantAccepted(t, res, true, true)
		for _, c := range p.session(0).commands {
			if !c.tls {
				t.Errorf("%q was sent in the clear", c.line)
			}
		}
	})

	t.Run("implicit_TLS_to_a_plain_server_fails", func(t *testing.T) {
		p := startPeer(t, peerScript{})
		opts := testOptions()
		opts.Security = ImplicitTLS
		_, err := deliver(t, p, opts, testMessage)
		if e := asError(t, err); e.Stage != StageConnect || !e.Temporary {
			t.Errorf("error %+v", e)
		}
	})

	t.Run("no_TLS_ignores_STARTTLS", func(t *testing.T) {
		p := startPeer(t, peerScript{ehlo: withSTARTTLS})
		opts := testOptions()
		opts.Security = NoTLS
		if _, err := deliver(t, p, opts, testMessage); err != nil {
			t.Fatal(err)
		}
		if got := p.session(0).verbs(); slices.Contains(got, "STARTTLS") {
			t.Errorf("commands %q", got)
		}
	})
}

func TestDeliverAuth(t *testing.T) {
	users := map[string]string{"relay@example.com": "s3cret-pass"}
	transcriptHidesSecrets := func(t *testing.T, res Result) {
		t.Helper()
		joined := strings.Join(res.Transcript, "\n")
		for _, secret := range []string{"s3cret-pass", "relay@example.com",
			b64("s3cret-pass"), b64("relay@example.com"), b64("\x00relay@example.com\x00s3cret-pass")} {
			if strings.Contains(joined, secret) {
				t.Errorf("the transcript shows %q:\n%s", secret, joined)
			}
		}
	}
	for _, mechanisms := range []string{"PLAIN LOGIN", "LOGIN"} {
		t.Run("AUTH_"+strings.Fields(mechanisms)[0]+"_over_STARTTLS", func(t *testing.T) {
			p := startPeer(t, peerScript{ehlo: []string{"STARTTLS", "PIPELINING"}, ehloTLS: []string{"AUTH " + mechanisms, "PIPELINING"}, users: users})
			opts := testOptions()
			opts.Username, opts.Password = "relay@example.com", "s3cret-pass"
			res, err := deliver(t, p, opts, testMessage)
			if err != nil {
				t.Fatal(err)
			}
			wantAccepted(t, res, true, true)
			s := p.session(0)
			if s.authUser != "relay@example.com" {
				t.Errorf("logged in as %q", s.authUser)
			}
			wantAuth := "AUTH " + strings.Fields(mechanisms)[0]
			if !slices.ContainsFunc(res.Transcript, func(l string) bool { return strings.HasPrefix(l, "C: "+wantAuth) }) {
				t.Errorf("the transcript has no %s", wantAuth)
			}
			transcriptHidesSecrets(t, res)
		})
	}

	t.Run("wrong_password_is_a_temporary_error_with_the_reply", func(t *testing.T) {
		p := startPeer(t, peerScript{ehlo: []string{"AUTH PLAIN"}, users: users})
		opts := testOptions()
		opts.Username, opts.Password, opts.AllowPlainAuthWithoutTLS = "relay@example.com", "wrong", true
		res, err := deliver(t, p, opts, testMessage)
		if e := asError(t, err); e.Stage != StageAuth || !e.Temporary || e.Reply.Code != 535 {
			t.Errorf("error %+v", e)
		}
		if got := p.session(0).verbs(); slices.Contains(got, "MAIL") {
			t.Errorf("commands %q", got)
		}
		if strings.Contains(strings.Join(res.Transcript, "\n"), b64("\x00relay@example.com\x00wrong")) {
			t.Errorf("the transcript shows the credentials")
		}
	})

	t.Run("credentials_are_not_sent_without_TLS", func(t *testing.T) {
		p := startPeer(t, peerScript{ehlo: []string{"AUTH PLAIN LOGIN"}, users: users})
		opts := testOptions()
		opts.Username, opts.Password = "relay@example.com", "s3cret-pass"
		_, err := deliver(t, p, opts, testMessage)
		if e := asError(t, err); e.Stage != StageAuth || !errors.Is(err, ErrAuthWithoutTLS) {
			t.Errorf("error %+v", e)
		}
		if got := p.session(0).verbs(); !slices.Equal(got, []string{"EHLO", "QUIT"}) {
			t.Errorf("commands %q", got)
		}
	})

	t.Run("credentials_without_TLS_when_allowed", func(t *testing.T) {
		p := startPeer(t, peerScript{ehlo: []string{"AUTH LOGIN PLAIN"}, users: users})
		opts := testOptions()
		opts.Username, opts.Password, opts.AllowPlainAuthWithoutTLS = "relay@example.com", "s3cret-pass", true
		res, err := deliver(t, p, opts, testMessage)
		if err != nil {
			t.Fatal(err)
		}
		if s := p.session(0); s.authUser != "relay@example.com" || !slices.Contains(s.verbs(), "AUTH") {
			t.Errorf("not authenticated: %q", s.lines())
		}
		if !slices.Contains(res.Transcript, "C: AUTH PLAIN ****") {
			t.Errorf("PLAIN is preferred when offered:\n%s", strings.Join(res.Transcript, "\n"))
		}
	})

	t.Run("no_usable_mechanism_is_an_error", func(t *testing.T) {
		p := startPeer(t, peerScript{ehlo: []string{"AUTH CRAM-MD5"}, users: users})
		opts := testOptions()
		opts.Username, opts.Password, opts.AllowPlainAuthWithoutTLS = "relay@example.com", "s3cret-pass", true
		_, err := deliver(t, p, opts, testMessage)
		if e := asError(t, err); e.Stage != StageAuth || !errors.Is(err, ErrAuthNotOffered) {
			t.Errorf("error %+v", e)
		}
	})
}

func b64(s string) string {
	return base64.StdEncoding.EncodeToString([]byte(s))
}
