package queue

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"slices"
	"strings"

	"github.com/mailwright/mailwright/server/dns"
	"github.com/mailwright/mailwright/server/routing"
	"github.com/mailwright/mailwright/server/smtpclient"
	"github.com/mailwright/mailwright/store"
)

// Delivery to other servers (manual: Settings → Protocols → SMTP →
// Delivery of e-mail, Routes, Advanced). One attempt takes a message's
// pending external recipients, asks the Router where each domain's mail
// goes, and gives the recipients that go to the same servers one
// transaction — several, of at most "Maximum number of recipients in
// batch" each, reconnecting for the rest. Each transaction tries the
// target's hosts in order, going on to the next only after a failure of
// the connection or of the whole transaction that may pass (a refused
// connection, a 421 greeting, a 4xx to MAIL or DATA).
//
// Per recipient: a 2xx to the end of data delivers it; a 5xx fails it at
// once (the sender's bounce tells); a 4xx or a failed connection leaves it
// pending with the reply recorded, for the next try (settle, worker.go). A
// delivered recipient is never sent again, so a retry goes to the failed
// ones only. Routing failures count the same way: a loop to this server,
// a domain that does not exist or publishes a null MX fail at once; a DNS
// server failure waits for the next try.

// retryPolicy is how often and how far apart a recipient is tried: a
// route's own "Number of retries" and "Minutes between every retry" where
// it sets them, else the SMTP settings ("SMTPNoOfTries",
// "SMTPMinutesBetweenTry"). A recipient is tried once and then retried up
// to retries times.
type retryPolicy struct {
	retries int
	minutes int
}

// deferredRecipient is an external recipient a temporary failure left
// pending in this attempt.
type deferredRecipient struct {
	r      store.QueuedRecipient
	report recipientReport
	policy retryPolicy
}

// targetGroup is the recipients of one attempt that go to the same place.
type targetGroup struct {
	target routing.Target
	policy retryPolicy
	rcpts  []store.QueuedRecipient
}

// remoteAttempt is one attempt at the external recipients of a message.
type remoteAttempt struct {
	q    *Queue
	send context.Context // ends when the queue stops or the lease is lost
	work context.Context // the database work, which runs to its end
	log  *slog.Logger
	m    store.QueuedMessage

	tries    int // this attempt's number: 1 for the first
	settings store.Settings
	helo     string
	global   retryPolicy
	outcomes []store.RecipientOutcome // what the attempt found, to be recorded
	sessions *smtpSessions            // the worker's open SMTP sessions
	// newSession has the next transaction open a connection of its own.
	newSession bool
	deferred   []deferredRecipient
}

// deliverRemote makes one attempt at the pending external recipients
// rcpts of m and returns what became of each — the outcomes, for the
// caller to record with the message's settlement (settle), and those a
// temporary failure left pending. The error is one of this server (the
// database, the queue file) that stopped the attempt; the recipients not
// yet tried stay as they were. When send ends it stops between
// transactions, and a transaction cut short has no outcome.
func (q *Queue) deliverRemote(send, work context.Context, log *slog.Logger, m store.QueuedMessage, rcpts []store.QueuedRecipient, sessions *smtpSessions) ([]store.RecipientOutcome, []deferredRecipient, error) {
	settings, err := q.st.AllSettings(work)
	if err != nil {
		return nil, nil, err
	}
	a := &remoteAttempt{q: q, send: send, work: work, log: log, m: m, tries: m.TryCount + 1, settings: settings, sessions: sessions,
		helo:   settings["HostName"],
		global: retryPolicy{retries: settings.Int("SMTPNoOfTries"), minutes: settings.Int("SMTPMinutesBetweenTry")}}
	if a.helo == "" {
		a.helo, _ = os.Hostname()
	}
	groups := a.route(rcpts)
	limit := settings.Int("MaxRecipientsInBatch") // "Maximum number of recipients in batch"; 0: no limit
	for _, g := range groups {
		size := limit
		if size <= 0 {
			size = len(g.rcpts)
		}
		first := true
		for batch := range slices.Chunk(g.rcpts, size) {
			if send.Err() != nil {
				return a.outcomes, a.deferred, nil
			}
			// The rest of a message's recipients go on a connection of
			// their own, as if to another server: the limit is there for
			// servers that count recipients per sender.
			a.newSession = !first
			first = false
			a.sendBatch(g, batch, limit)
		}
	}
	return a.outcomes, a.deferred, nil
}

// route finds the target of each recipient's domain and groups the
// recipients by target, in the order they come. Recipients whose domain
// cannot be routed are settled here, failed or deferred.
func (a *remoteAttempt) route(rcpts []store.QueuedRecipient) []*targetGroup {
	var domains []string
	byDomain := map[string][]store.QueuedRecipient{}
	var noDomain []store.RecipientOutcome
	for _, r := range rcpts {
		at := strings.LastIndexByte(r.Address, '@')
		if at < 0 || at == len(r.Address)-1 {
			rep := recipientReport{Reply: "550 5.1.3 The recipient address has no domain.", Tries: a.tries}
			noDomain = append(noDomain, store.RecipientOutcome{RecipientID: r.ID, Status: store.RecipientFailed, Reply: rep.String()})
			continue
		}
		domain := strings.ToLower(r.Address[at+1:])
		if _, ok := byDomain[domain]; !ok {
			domains = append(domains, domain)
		}
		byDomain[domain] = append(byDomain[domain], r)
	}
	a.record(noDomain)

	var groups []*targetGroup
	byTarget := map[string]*targetGroup{}
	for _, domain := range domains {
		target, err := a.q.opts.Router.For(a.send, domain)
		if a.send.Err() != nil {
			return nil
		}
		if err == nil && len(target.Hosts) == 0 {
			err = fmt.Errorf("no host to deliver to for %s", domain)
		}
		if err != nil {
			a.unroutable(domain, byDomain[domain], err)
			continue
		}
		key := targetKey(target)
		g := byTarget[key]
		if g == nil {
			g = &targetGroup{target: target, policy: a.policy(target)}
			byTarget[key] = g
			groups = append(groups, g)
		}
		g.rcpts = append(g.rcpts, byDomain[domain]...)
	}
	return groups
}

// unroutable settles the recipients of a domain the Router found no
// target for: failed for a permanent reason, else deferred.
func (a *remoteAttempt) unroutable(domain string, rcpts []store.QueuedRecipient, err error) {
	reply, permanent := routeFailure(err)
	var loop *routing.LocalLoopError
	if errors.As(err, &loop) {
		a.log.Error("delivery refused: it would loop to this server", "domain", domain, "refused", fmt.Sprint(loop.Refused))
	} else {
		a.log.Warn("no mail server found for a domain", "domain", domain, "permanent", permanent, "err", err)
	}
	status := store.RecipientPending
	if permanent {
		status = store.RecipientFailed
	}
	rep := recipientReport{Reply: reply, Tries: a.tries}
	outcomes := make([]store.RecipientOutcome, len(rcpts))
	for i, r := range rcpts {
		outcomes[i] = store.RecipientOutcome{RecipientID: r.ID, Status: status, Reply: rep.String()}
		if !permanent {
			a.deferred = append(a.deferred, deferredRecipient{r: r, report: rep, policy: a.global})
		}
	}
	a.record(outcomes)
}

// routeFailure is the reply for a domain the Router could not route, and
// whether it is permanent.
func routeFailure(err error) (reply string, permanent bool) {
	switch {
	case errors.Is(err, routing.ErrLocalLoop):
		// RFC 3463 5.4.6: routing loop detected.
		return "550 5.4.6 " + routing.LocalLoopMessage, true
	case dns.IsTemporary(err):
		return "451 4.4.3 " + err.Error(), false // X.4.3: directory server failure
	case errors.Is(err, dns.ErrNullMX):
		return "556 5.1.10 " + err.Error(), true // RFC 7505 4.3
	case errors.Is(err, dns.ErrNoSuchDomain), errors.Is(err, dns.ErrNoRecords), errors.Is(err, dns.ErrInvalidName):
		return "550 5.1.2 " + err.Error(), true // X.1.2: bad destination system address
	}
	// The database, or something else of this server's: it may pass.
	return "451 4.3.0 " + err.Error(), false
}

// policy is the retry policy of the recipients going to t.
func (a *remoteAttempt) policy(t routing.Target) retryPolicy {
	p := a.global
	if t.Tries > 0 {
		p.retries = t.Tries
	}
	if t.MinutesBetween > 0 {
		p.minutes = t.MinutesBetween
	}
	return p
}

// targetKey tells targets apart: the same servers, reached the same way
// with the same credentials, take one transaction.
func targetKey(t routing.Target) string {
	hosts := make([]string, len(t.Hosts))
	for i, h := range t.Hosts {
		hosts[i] = h.Addr.String()
	}
	slices.Sort(hosts)
	return fmt.Sprintf("%s|%d|%d|%s|%s", t.Kind, t.RouteID, t.Security, t.Username, strings.Join(hosts, ","))
}

// recipient outcomes of one transaction with one host, before recording.
const (
	outcomeDelivered = iota
	outcomeFailed
	outcomeDeferred
	outcomeNextHost
)

// sendBatch sends the message to the recipients of one batch of group g,
// trying g's hosts in order, and notes what became of each recipient.
func (a *remoteAttempt) sendBatch(g *targetGroup, batch []store.QueuedRecipient, limit int) {
	scrub := passwordScrubber(g.target)
	open := batch
	var outcomes []store.RecipientOutcome
	for i, host := range g.target.Hosts {
		last := i == len(g.target.Hosts)-1
		res, err := a.transaction(g.target, host, open, limit)
		if err != nil && a.send.Err() != nil {
			// Cut short by a shutdown or a lost lease: whatever the server
			// got, the next attempt sends again.
			a.record(outcomes)
			return
		}
		var failure *smtpclient.Error
		if err != nil && !errors.As(err, &failure) {
			failure = &smtpclient.Error{Temporary: true, Stage: smtpclient.StageSetup, Err: err}
		}
		var next []store.QueuedRecipient
		counts := [4]int{}
		for j, r := range open {
			rep, outcome := a.outcome(host, r, res.Recipients[j], failure, last)
			rep.Reply = scrub(rep.Reply)
			counts[outcome]++
			status := store.RecipientPending
			switch outcome {
			case outcomeNextHost:
				next = append(next, r)
				continue
			case outcomeDelivered:
				status = store.RecipientDelivered
			case outcomeFailed:
				status = store.RecipientFailed
			case outcomeDeferred:
				a.deferred = append(a.deferred, deferredRecipient{r: r, report: rep, policy: g.policy})
			}
			outcomes = append(outcomes, store.RecipientOutcome{RecipientID: r.ID, Status: status, Reply: rep.String()})
		}
		attrs := []any{"host", host.Name, "address", host.Addr.String(), "via", g.target.Kind,
			"recipients", strings.Join(addresses(open), ","), "try", a.tries,
			"delivered", counts[outcomeDelivered], "failed", counts[outcomeFailed], "deferred", counts[outcomeDeferred]}
		if len(next) > 0 {
			attrs = append(attrs, "next_host", len(next))
		}
		if failure != nil {
			attrs = append(attrs, "err", scrub(failure.Error()))
		}
		a.log.Info("remote delivery attempt", attrs...)
		if len(next) == 0 {
			break
		}
		open = next
	}
	a.record(outcomes)
}

// transaction hands the queue file with the recipients rcpts to the
// server host of target t, on one of the worker's open sessions when it
// has one for the server.
func (a *remoteAttempt) transaction(t routing.Target, host routing.Host, rcpts []store.QueuedRecipient, limit int) (smtpclient.Result, error) {
	open := func() (io.ReadCloser, error) { return a.q.files.Open(a.m.Path) }
	return a.sessions.deliver(a.send, host.Addr.String(), a.clientOptions(t, host, limit), a.newSession, a.m.From, addresses(rcpts), a.m.Size, open)
}

// clientOptions are the settings of a transaction with host, a server of
// target t.
func (a *remoteAttempt) clientOptions(t routing.Target, host routing.Host, limit int) smtpclient.Options {
	o := smtpclient.Options{
		HeloName:          a.helo,
		Security:          clientSecurity(t.Security),
		VerifyCertificate: a.settings.Bool("VerifyRemoteCertificate"),
		RootCAs:           a.q.opts.RootCAs,
		Username:          t.Username,
		Password:          t.Password,
		// A route or relayer set to use no TLS but to authenticate asks
		// for exactly that; with STARTTLS optional, credentials wait for
		// TLS.
		AllowPlainAuthWithoutTLS: t.Security == store.SecurityNone,
		Timeouts:                 a.q.opts.SMTPTimeouts,
		MaxRecipients:            max(limit, 0),
	}
	if !strings.HasPrefix(host.Name, "[") {
		o.ServerName = host.Name
	}
	// "Bind to local IP address", for destinations of its family.
	if bind, err := netip.ParseAddr(strings.TrimSpace(a.settings["BindToLocalIP"])); err == nil {
		if bind = bind.Unmap(); bind.Is4() == host.Addr.Addr().Unmap().Is4() {
			o.LocalAddr = &net.TCPAddr{IP: bind.AsSlice()}
		}
	}
	return o
}

// clientSecurity is a route's, the relayer's or "SMTPDeliverySecurity"'s
// connection security in smtpclient's terms.
func clientSecurity(c store.ConnectionSecurity) smtpclient.Security {
	switch c {
	case store.SecurityNone:
		return smtpclient.NoTLS
	case store.SecurityTLS:
		return smtpclient.ImplicitTLS
	case store.SecuritySTARTTLSRequired:
		return smtpclient.RequireTLS
	}
	return smtpclient.Opportunistic
}

// outcome decides what became of recipient r in a transaction with host:
// its result rr, and failure, the error that ended the transaction as a
// whole, if any. last says whether host is the target's last.
func (a *remoteAttempt) outcome(host routing.Host, r store.QueuedRecipient, rr smtpclient.RecipientResult, failure *smtpclient.Error, last bool) (recipientReport, int) {
	rep := recipientReport{Tries: a.tries, Host: host.Name, Addr: host.Addr.Addr().String()}
	// The recipient's own reply, to its RCPT or to the end of data, rather
	// than the one that ended the transaction.
	own := rr.Reply != nil && (failure == nil || rr.Reply != failure.Reply)
	switch {
	case rr.Accepted:
		rep.Reply, rep.Remote, rep.Sent = rr.Reply.String(), true, sentEndOfData
		return rep, outcomeDelivered
	case own:
		rep.Reply, rep.Remote, rep.Sent = rr.Reply.String(), true, "RCPT TO:<"+r.Address+">"
		if rr.Reply.Code >= 500 {
			return rep, outcomeFailed
		}
		return rep, outcomeDeferred
	case failure == nil:
		rep.Reply = "451 4.4.0 The server did not answer for this recipient."
		return rep, outcomeDeferred
	case failure.Stage == smtpclient.StageSetup:
		// This server's trouble (the queue file), not the remote's.
		rep.Host, rep.Addr, rep.Reply = "", "", "451 4.3.0 "+failure.Err.Error()
		return rep, outcomeDeferred
	}
	if failure.Reply != nil {
		rep.Reply = failure.Reply.String()
		// A reply the client composed for a refusal of its own (the
		// message too large, TLS not offered) is not the server's.
		rep.Remote = failure.Err == nil
		if rep.Remote {
			rep.Sent = a.sentAt(failure.Stage)
		}
	} else if failure.Stage == smtpclient.StageConnect {
		rep.Reply = "421 4.4.1 " + failure.Error() // X.4.1: no answer from host
	} else {
		rep.Reply = "421 4.4.2 " + failure.Error() // X.4.2: bad connection
	}
	switch {
	case !failure.Temporary:
		return rep, outcomeFailed
	case !last:
		return rep, outcomeNextHost
	}
	return rep, outcomeDeferred
}

// sentEndOfData names, in a report, the end of the message data, which
// the reply to the message answers.
const sentEndOfData = "the message (end of data)"

// sentAt is the command a reply at a stage of the conversation answered,
// as a bounce shows it. Credentials are never shown.
func (a *remoteAttempt) sentAt(stage string) string {
	switch stage {
	case smtpclient.StageHello:
		return "EHLO " + a.helo
	case smtpclient.StageSTARTTLS:
		return "STARTTLS"
	case smtpclient.StageAuth:
		return "AUTH"
	case smtpclient.StageMail, smtpclient.StageSize:
		return "MAIL FROM:<" + a.m.From + ">"
	case smtpclient.StageRcpt:
		return "RCPT TO"
	case smtpclient.StageData:
		return "DATA"
	case smtpclient.StageMessage, smtpclient.StageEndOfData:
		return sentEndOfData
	}
	return "" // the greeting answers nothing
}

// record notes outcomes of the attempt, which the message's settlement
// records (settle, worker.go).
func (a *remoteAttempt) record(outcomes []store.RecipientOutcome) {
	a.outcomes = append(a.outcomes, outcomes...)
}

// logOutcomes logs the recorded outcomes that settle a recipient of m
// (the deferred ones are logged when the next try is set).
func logOutcomes(log *slog.Logger, m store.QueuedMessage, outcomes []store.RecipientOutcome) {
	for _, o := range outcomes {
		i := slices.IndexFunc(m.Recipients, func(r store.QueuedRecipient) bool { return r.ID == o.RecipientID })
		if i < 0 {
			continue
		}
		rep := parseReport(o.Reply)
		switch o.Status {
		case store.RecipientDelivered:
			log.Info("message delivered", "recipient", m.Recipients[i].Address, "host", rep.Host, "address", rep.Addr, "reply", rep.Reply)
		case store.RecipientFailed:
			_, _, reason := parseReply(rep.Reply)
			attrs := []any{"recipient", m.Recipients[i].Address, "reason", reason, "reply", rep.Reply, "tries", rep.Tries}
			if rep.Host != "" {
				attrs = append(attrs, "host", rep.Host)
			}
			log.Info("delivery failed", attrs...)
		}
	}
}

// addresses lists the recipients' addresses.
func addresses(rcpts []store.QueuedRecipient) []string {
	out := make([]string, len(rcpts))
	for i, r := range rcpts {
		out[i] = r.Address
	}
	return out
}

// passwordScrubber masks the target's password in what a server replied,
// should a server echo it, in the forms it was sent: as it is, base64 for
// AUTH LOGIN and the base64 AUTH PLAIN response.
func passwordScrubber(t routing.Target) func(string) string {
	if len(t.Password) < 3 {
		// Too short to mask without garbling the text; smtpclient never
		// puts credentials into replies or transcripts itself.
		return func(s string) string { return s }
	}
	enc := base64.StdEncoding.EncodeToString
	masker := strings.NewReplacer(
		enc([]byte("\x00"+t.Username+"\x00"+t.Password)), "****",
		enc([]byte(t.Password)), "****",
		t.Password, "****",
	)
	return masker.Replace
}
