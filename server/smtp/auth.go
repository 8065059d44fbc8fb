package smtp

import (
	"context"
	"encoding/base64"
	"errors"
	"strings"

	"github.com/mailwright/mailwright/server/smtpreply"
	"github.com/mailwright/mailwright/store"
)

// auth handles AUTH PLAIN and AUTH LOGIN (RFC 4954, RFC 4616).
func (s *session) auth(ctx context.Context, arg string) *smtpreply.Reply {
	switch {
	case s.helo == "":
		return smtpreply.UseHeloFirst
	case s.authed:
		return smtpreply.AlreadyAuthenticated
	case s.inMail:
		return smtpreply.IssueResetFirst // RFC 4954 4: not during a transaction
	case arg == "":
		return smtpreply.AuthTypeNotSupported
	}
	mech, initial, _ := strings.Cut(arg, " ")
	mech = strings.ToUpper(mech)
	allowed := false
	for _, m := range s.authMechanisms() {
		allowed = allowed || m == mech
	}
	if !allowed {
		if mech == "PLAIN" && !s.tls {
			return smtpreply.PlainTextAuthDisabled
		}
		return smtpreply.AuthMethodNotSupported
	}
	var user, pass string
	switch mech {
	case "PLAIN":
		if initial == "" {
			line, r := s.challenge("")
			if r != nil {
				return r
			}
			initial = line
		}
		var err error
		if initial == "=" {
			initial = ""
		}
		if _, user, pass, err = DecodePlain(initial); err != nil {
			return smtpreply.AuthFailed
		}
	case "LOGIN":
		var r *smtpreply.Reply
		if initial != "" {
			decoded, err := DecodeBase64Line(initial)
			if err != nil {
				return smtpreply.AuthFailed
			}
			user = decoded
		} else {
			line, r := s.challenge("Username:")
			if r != nil {
				return r
			}
			if user, r = decodeOrFail(line); r != nil {
				return r
			}
		}
		line, r := s.challenge("Password:")
		if r != nil {
			return r
		}
		if pass, r = decodeOrFail(line); r != nil {
			return r
		}
	}
	return s.login(ctx, user, pass)
}

func decodeOrFail(line string) (string, *smtpreply.Reply) {
	v, err := DecodeBase64Line(line)
	if err != nil {
		return "", smtpreply.AuthFailed
	}
	return v, nil
}

// challenge sends a 334 with a base64 prompt and reads the answer; "*"
// cancels (RFC 4954 4).
func (s *session) challenge(prompt string) (string, *smtpreply.Reply) {
	s.reply(&smtpreply.Reply{Code: 334, Text: base64.StdEncoding.EncodeToString([]byte(prompt))})
	s.w.Flush()
	line, err := readCommandLine(s.r)
	if err != nil {
		s.closeAfter = true
		return "", smtpreply.ConnectionTimeout
	}
	if s.settings.Bool("MaskPasswordsInLog") {
		s.logRecv("***")
	} else {
		s.logRecv(line)
	}
	if strings.TrimSpace(line) == "*" {
		return "", smtpreply.AuthCancelled
	}
	return line, nil
}

// login checks the credentials; failures count toward auto-ban.
func (s *session) login(ctx context.Context, user, pass string) *smtpreply.Reply {
	account, err := s.srv.store.Authenticate(ctx, user, pass, s.remote.String())
	if err != nil {
		if !errors.Is(err, store.ErrBadCredentials) && !errors.Is(err, store.ErrAccountDisabled) {
			s.srv.log.Error("authentication failed with an error", "session", s.id, "error", err)
			return smtpreply.TemporaryLookupFailed
		}
		s.srv.log.Info("SMTP authentication failed", "session", s.id, "remote", s.remote, "user", user)
		if s.srv.autoBan != nil {
			if banned, err := s.srv.autoBan.Failed(ctx, s.remote, user); err == nil && banned {
				s.closeAfter = true
			}
		}
		return smtpreply.AuthFailed
	}
	stamp, err := s.srv.store.CredentialStamp(ctx, account.ID)
	if err != nil {
		return smtpreply.TemporaryLookupFailed
	}
	if s.srv.autoBan != nil {
		s.srv.autoBan.Succeeded(s.remote)
	}
	s.authAccount, s.authStamp, s.authed = account, stamp, true
	return smtpreply.AuthSucceeded
}

// maskAuthLine hides the credentials of an AUTH command line in the
// conversation log when "Mask passwords" is on.
func maskAuthLine(line string, settings store.Settings) string {
	if !settings.Bool("MaskPasswordsInLog") {
		return line
	}
	fields := strings.Fields(line)
	if len(fields) > 2 {
		return fields[0] + " " + fields[1] + " ***"
	}
	return line
}
