package smtpclient

import (
	"encoding/base64"
	"slices"

	"github.com/mailwright/mailwright/server/smtpreply"
)

// masked stands in the transcript for credentials.
const masked = "****"

// authenticate logs in with AUTH PLAIN when the server offers it, else
// AUTH LOGIN (RFC 4954). A server that offers no AUTH at all gets the
// message without authentication, as it may relay for this address anyway;
// its reply to MAIL or RCPT then says what it thinks.
//
// A refusal counts as temporary even when it is a 5xx: a wrong password is
// the configuration's fault, not the message's, and the message should
// wait for the administrator rather than bounce (as Postfix's
// smtp_sasl_auth_soft_bounce).
func (d *delivery) authenticate() *Error {
	if d.opts.Username == "" {
		return nil
	}
	if !d.caps.has("AUTH") {
		d.note("the server does not offer AUTH; sending without authentication")
		return nil
	}
	if !d.tls && !d.opts.AllowPlainAuthWithoutTLS {
		d.quit()
		return &Error{Temporary: true, Stage: StageAuth, Err: ErrAuthWithoutTLS}
	}
	timeout := d.opts.Timeouts.Command
	mechanisms := d.caps.authMechanisms()
	var reply *smtpreply.Reply
	var failure *Error
	switch {
	case slices.Contains(mechanisms, "PLAIN"):
		// RFC 4616 2: authorization identity (empty), NUL, user, NUL, password.
		response := base64.StdEncoding.EncodeToString([]byte("\x00" + d.opts.Username + "\x00" + d.opts.Password))
		reply, failure = d.command(StageAuth, timeout, "AUTH PLAIN "+response, "AUTH PLAIN "+masked)
	case slices.Contains(mechanisms, "LOGIN"):
		// AUTH LOGIN (draft-murchison-sasl-login): the server asks for the
		// user name, then the password, each base64-encoded.
		reply, failure = d.command(StageAuth, timeout, "AUTH LOGIN", "")
		for _, secret := range []string{d.opts.Username, d.opts.Password} {
			if failure != nil || reply.Code != 334 {
				break
			}
			reply, failure = d.command(StageAuth, timeout, base64.StdEncoding.EncodeToString([]byte(secret)), masked)
		}
	default:
		d.quit()
		return &Error{Temporary: true, Stage: StageAuth, Err: ErrAuthNotOffered}
	}
	if failure == nil && reply.Code == 334 {
		// The server wants more than there is to give; "*" cancels the
		// exchange (RFC 4954 4).
		reply, failure = d.command(StageAuth, timeout, "*", "")
	}
	if failure != nil {
		return failure
	}
	if reply.Code != 235 {
		d.quit()
		failure := unexpected(StageAuth, reply)
		failure.Temporary = true
		return failure
	}
	return nil
}
