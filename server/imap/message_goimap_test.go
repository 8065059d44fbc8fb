package imap

import (
	"bufio"
	"net"
	"strings"
	"testing"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
)

// fetchRenderedThroughGoIMAP has go-imap v2's client read what this
// package renders for raw: a listener on 127.0.0.1 answers the client's
// FETCH with m's ENVELOPE and BODY or BODYSTRUCTURE, and the client's own
// parser decodes them. It checks the rendering against a third-party
// reader of RFC 3501's grammar; the whole server is tested elsewhere.
func fetchRenderedThroughGoIMAP(t *testing.T, raw string, extended bool) *imapclient.FetchMessageBuffer {
	t.Helper()
	m := ParseMessage([]byte(raw))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	served := make(chan error, 1)
	go func() {
		conn, err := ln.Accept()
		if err != nil {
			served <- err
			return
		}
		defer conn.Close()
		if _, err := conn.Write([]byte("* OK [CAPABILITY IMAP4rev1] ready\r\n")); err != nil {
			served <- err
			return
		}
		line, err := bufio.NewReader(conn).ReadString('\n')
		if err != nil {
			served <- err
			return
		}
		tag, _, _ := strings.Cut(line, " ")
		item, structure := "BODY ", m.BodyStructure(false)
		if extended {
			item, structure = "BODYSTRUCTURE ", m.BodyStructure(true)
		}
		response := "* 1 FETCH (ENVELOPE " + string(m.Envelope()) + " " + item + string(structure) + ")\r\n" + tag + " OK done\r\n"
		_, err = conn.Write([]byte(response))
		served <- err
		// Keep the connection open until the client has read everything.
		_, _ = bufio.NewReader(conn).ReadString('\n')
	}()

	c, err := imapclient.DialInsecure(ln.Addr().String(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	options := &imap.FetchOptions{Envelope: true, BodyStructure: &imap.FetchItemBodyStructure{Extended: extended}}
	msgs, err := c.Fetch(imap.SeqSetNum(1), options).Collect()
	if err != nil {
		t.Fatalf("go-imap cannot read the rendering: %v\nENVELOPE %s\nBODYSTRUCTURE %s", err, m.Envelope(), m.BodyStructure(extended))
	}
	if err := <-served; err != nil {
		t.Fatal(err)
	}
	if len(msgs) != 1 || msgs[0].Envelope == nil || msgs[0].BodyStructure == nil {
		t.Fatalf("go-imap read %d messages without envelope or body structure", len(msgs))
	}
	return msgs[0]
}

func TestGoIMAPReadsNestedMessageRendering(t *testing.T) {
	raw := crlf(nestedMessage)
	for _, extended := range []bool{false, true} {
		msg := fetchRenderedThroughGoIMAP(t, raw, extended)
		if msg.Envelope.Subject != "Fwd: Lunch" || len(msg.Envelope.From) != 1 || msg.Envelope.From[0].Addr() != "carol@example.org" {
			t.Errorf("envelope: %+v", msg.Envelope)
		}
		root, ok := msg.BodyStructure.(*imap.BodyStructureMultiPart)
		if !ok || root.MediaType() != "multipart/mixed" || len(root.Children) != 3 {
			t.Fatalf("root: %#v", msg.BodyStructure)
		}
		forwarded, ok := root.Children[1].(*imap.BodyStructureSinglePart)
		if !ok || forwarded.MediaType() != "message/rfc822" || forwarded.MessageRFC822 == nil {
			t.Fatalf("part 2: %#v", root.Children[1])
		}
		if forwarded.Size != 197 || forwarded.MessageRFC822.NumLines != 13 || forwarded.MessageRFC822.Envelope.Subject != "Lunch" {
			t.Errorf("part 2: size %d, lines %d, envelope %+v", forwarded.Size, forwarded.MessageRFC822.NumLines, forwarded.MessageRFC822.Envelope)
		}
		inner, ok := forwarded.MessageRFC822.BodyStructure.(*imap.BodyStructureMultiPart)
		if !ok || inner.MediaType() != "multipart/alternative" || len(inner.Children) != 2 {
			t.Fatalf("part 2's message: %#v", forwarded.MessageRFC822.BodyStructure)
		}
		if extended {
			if d := forwarded.Disposition(); d == nil || !strings.EqualFold(d.Value, "inline") {
				t.Errorf("part 2 disposition: %+v", d)
			}
			if root.Extended == nil || root.Extended.Params["boundary"] != "b1" {
				t.Errorf("root extension: %+v", root.Extended)
			}
		}
		checkGoIMAPPartsMatchSections(t, ParseMessage([]byte(raw)), msg.BodyStructure)
	}
}

func TestGoIMAPReadsAttachmentAndGroupRendering(t *testing.T) {
	raw := crlf(mixedMessage)
	msg := fetchRenderedThroughGoIMAP(t, raw, true)
	to := msg.Envelope.To
	if len(to) != 5 || !to[0].IsGroupStart() || to[0].Mailbox != "team" || !to[3].IsGroupEnd() || to[2].Name != "Ben" || to[4].Name != "Carl C" {
		t.Errorf("To with a group: %+v", to)
	}
	if len(msg.Envelope.From) != 1 || msg.Envelope.From[0].Name != "Smith, John" || msg.Envelope.MessageID != "report@example.com" {
		t.Errorf("envelope: %+v", msg.Envelope)
	}
	root, ok := msg.BodyStructure.(*imap.BodyStructureMultiPart)
	if !ok || len(root.Children) != 2 || root.Extended == nil || len(root.Extended.Language) != 1 || root.Extended.Language[0] != "en" {
		t.Fatalf("root: %#v", msg.BodyStructure)
	}
	pdf, ok := root.Children[1].(*imap.BodyStructureSinglePart)
	if !ok || pdf.MediaType() != "application/pdf" || pdf.Filename() != "report.pdf" || !strings.EqualFold(pdf.Encoding, "base64") || pdf.Size != 12 {
		t.Fatalf("attachment: %#v", root.Children[1])
	}
	if pdf.ID != "<pdf1@example.com>" || pdf.Description != "The report" || pdf.Extended.Location != "http://example.com/report.pdf" {
		t.Errorf("attachment fields: %+v %+v", pdf, pdf.Extended)
	}
	checkGoIMAPPartsMatchSections(t, ParseMessage([]byte(raw)), msg.BodyStructure)
}

func TestGoIMAPReadsLiteralsInRendering(t *testing.T) {
	raw := "Subject: caf\xc3\xa9\r\nFrom: \"J\xc3\xb6rg\" <j@example.com>\r\nContent-Type: text/plain; name=\"\xc3\xa9.txt\"\r\n\r\nx\r\n"
	msg := fetchRenderedThroughGoIMAP(t, raw, true)
	if msg.Envelope.Subject != "café" || len(msg.Envelope.From) != 1 || msg.Envelope.From[0].Name != "Jörg" {
		t.Errorf("envelope: %+v", msg.Envelope)
	}
	part, ok := msg.BodyStructure.(*imap.BodyStructureSinglePart)
	if !ok || part.Params["name"] != "é.txt" || part.Text == nil || part.Text.NumLines != 1 {
		t.Errorf("body: %#v", msg.BodyStructure)
	}
}

// checkGoIMAPPartsMatchSections walks the parts go-imap numbered and checks
// that Section finds each with the size go-imap read.
func checkGoIMAPPartsMatchSections(t *testing.T, m *Message, structure imap.BodyStructure) {
	t.Helper()
	structure.Walk(func(path []int, part imap.BodyStructure) bool {
		single, ok := part.(*imap.BodyStructureSinglePart)
		if !ok {
			return true
		}
		b, found := m.Section(Section{Part: path})
		if !found || len(b) != int(single.Size) {
			t.Errorf("part %v: go-imap reads size %d; Section gives %d octets (found %v)", path, single.Size, len(b), found)
		}
		return true
	})
}
