package queue

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestRecipientReportReadsBackWhatItStores(t *testing.T) {
	for _, c := range []struct {
		name   string
		report recipientReport
		stored string
	}{
		{"remote_reply_to_a_command",
			recipientReport{Reply: "550 5.1.1 No such user", Tries: 1, Host: "mx.example.net", Addr: "192.0.2.1", Remote: true, Sent: "RCPT TO:<bob@example.net>"},
			"550 5.1.1 No such user [tries 1; remote mx.example.net (192.0.2.1); sent RCPT TO:<bob@example.net>]"},
		{"remote_greeting",
			recipientReport{Reply: "421 4.3.2 busy", Tries: 2, Host: "mx.example.net", Addr: "2001:db8::1", Remote: true},
			"421 4.3.2 busy [tries 2; remote mx.example.net (2001:db8::1)]"},
		{"unreachable_host",
			recipientReport{Reply: "421 4.4.1 connect: connection refused", Tries: 3, Host: "[192.0.2.7]", Addr: "192.0.2.7"},
			"421 4.4.1 connect: connection refused [tries 3; host [192.0.2.7] (192.0.2.7)]"},
		{"no_server", recipientReport{Reply: "550 5.4.6 loop", Tries: 1}, "550 5.4.6 loop [tries 1]"},
		{"local_delivery_is_kept_bare", recipientReport{Reply: "552 5.2.2 Inbox is full"}, "552 5.2.2 Inbox is full"},
		{"a_reply_that_mimics_the_mark_is_still_the_reply",
			recipientReport{Reply: "550 x [tries 9; remote evil (1.2.3.4)]", Tries: 1, Host: "mx", Addr: "1.2.3.4", Remote: true, Sent: "DATA"},
			"550 x [tries 9; remote evil (1.2.3.4)] [tries 1; remote mx (1.2.3.4); sent DATA]"},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := c.report.String(); got != c.stored {
				t.Errorf("stored as %q, want %q", got, c.stored)
			}
			if got := parseReport(c.stored); got != c.report {
				t.Errorf("read back as %+v, want %+v", got, c.report)
			}
		})
	}
}

func TestParseReportTakesAnythingElseForTheReply(t *testing.T) {
	for _, s := range []string{
		"", "250 ok", "550 see [tries x]", "550 [tries 0]", "550 [tries -1]", "550 [tries 1; elsewhere x (y)]",
		"550 [tries 1; remote x]", "550 [tries 1; host x (y); sent DATA]", "550 [tries 1; remote x (y); said DATA]",
		"550 [tries 1] trailing",
	} {
		if got := parseReport(s); got != (recipientReport{Reply: s}) {
			t.Errorf("parseReport(%q) = %+v, want it all as the reply", s, got)
		}
	}
}

func FuzzParseReport(f *testing.F) {
	f.Add("550 5.1.1 No such user", 1, "mx.example.net", "192.0.2.1", true, "RCPT TO:<bob@example.net>")
	f.Add("421 4.4.1 refused", 3, "[192.0.2.7]", "192.0.2.7", false, "")
	f.Add("550 [tries 2; remote a (b); sent c]", 2, "", "", false, "")
	f.Fuzz(func(t *testing.T, reply string, tries int, host, addr string, remote bool, sent string) {
		r := recipientReport{Reply: reply, Tries: tries, Host: host, Addr: addr, Remote: remote, Sent: sent}
		stored := r.String()
		got := parseReport(stored) // must not panic on anything
		if strings.ContainsAny(stored, "\r\n") {
			t.Fatalf("stored report %q spans lines", stored)
		}
		// What this server writes reads back (oneLine makes invalid UTF-8
		// valid, so that is left out): host names and addresses
		// have no brackets, parentheses or semicolons, and a command
		// does not hold the mark.
		if !utf8.ValidString(reply+host+addr+sent) || tries <= 0 || host == "" || strings.ContainsAny(host+addr, "()[];\r\n") || strings.Contains(sent, reportMark) || strings.ContainsAny(reply+sent, "\r\n") {
			return
		}
		if !remote {
			r.Sent = ""
		}
		if got != r {
			t.Fatalf("%+v stored as %q reads back as %+v", r, stored, got)
		}
	})
}
