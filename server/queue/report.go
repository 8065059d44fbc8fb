package queue

import (
	"strconv"
	"strings"
)

// recipientReport is what a delivery attempt to another server found for
// one recipient, in the form kept in the recipient's last reply (the
// message_recipients.last_reply column): the reply first, so that the
// administrator's queue view reads as a reply, then in brackets how many
// tries there were and where the reply came from:
//
//	550 5.1.1 No such user [tries 1; remote mx.example.net (192.0.2.1); sent RCPT TO:<bob@example.net>]
//	421 4.4.1 Could not connect: connection refused [tries 3; host mx.example.net (192.0.2.1)]
//	550 5.4.6 The mail server software tried to deliver e-mail to the local machine [tries 1]
//
// "remote" names the server that gave the reply and "sent" the command it
// answered (none for a greeting); "host" names a server that could not be
// reached or was refused by this server, when the reply is this server's
// own account of that. The bounce reads it all back (parseReport) for its
// text and its delivery-status part. Replies of local deliveries are kept
// bare, and read back as a report with only Reply.
type recipientReport struct {
	Reply  string // "550 5.1.1 No such user", the remote server's or one composed here
	Tries  int    // the attempts made when the reply came; 0: not counted (local delivery)
	Host   string // the server's name (an MX host, a route's or the relayer's host)
	Addr   string // the address connected to
	Remote bool   // Reply is what Host said, rather than what happened trying to reach it
	Sent   string // the command Reply answered, when Remote; never holds credentials
}

// reportMark starts the bracketed part of a stored report.
const reportMark = " [tries "

// String is the stored form.
func (r recipientReport) String() string {
	if r.Tries <= 0 {
		return oneLine(r.Reply)
	}
	var b strings.Builder
	b.WriteString(oneLine(r.Reply))
	b.WriteString(reportMark)
	b.WriteString(strconv.Itoa(r.Tries))
	if r.Host != "" {
		if r.Remote {
			b.WriteString("; remote ")
		} else {
			b.WriteString("; host ")
		}
		b.WriteString(oneLine(r.Host))
		b.WriteString(" (")
		b.WriteString(oneLine(r.Addr))
		b.WriteString(")")
		if r.Remote && r.Sent != "" {
			b.WriteString("; sent ")
			b.WriteString(oneLine(r.Sent))
		}
	}
	b.WriteString("]")
	return b.String()
}

// parseReport reads a stored reply back. A reply without the bracketed
// part, or with one it cannot read, is all Reply.
func parseReport(stored string) recipientReport {
	plain := recipientReport{Reply: stored}
	i := strings.LastIndex(stored, reportMark)
	if i < 0 || !strings.HasSuffix(stored, "]") {
		return plain
	}
	inner := stored[i+len(reportMark) : len(stored)-1]
	parts := strings.SplitN(inner, "; ", 3)
	tries, err := strconv.Atoi(parts[0])
	if err != nil || tries <= 0 {
		return plain
	}
	r := recipientReport{Reply: stored[:i], Tries: tries}
	if len(parts) > 1 {
		server, remote := strings.CutPrefix(parts[1], "remote ")
		if !remote {
			var ok bool
			if server, ok = strings.CutPrefix(parts[1], "host "); !ok {
				return plain
			}
		}
		name, addr, ok := strings.Cut(server, " (")
		if !ok || !strings.HasSuffix(addr, ")") {
			return plain
		}
		r.Host, r.Addr, r.Remote = name, strings.TrimSuffix(addr, ")"), remote
	}
	if len(parts) > 2 {
		sent, ok := strings.CutPrefix(parts[2], "sent ")
		if !ok || !r.Remote {
			return plain
		}
		r.Sent = sent
	}
	return r
}
