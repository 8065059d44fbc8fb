package imap

import (
	"bufio"
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// The seed corpora are in testdata/fuzz/<FuzzName>/; the f.Add seeds below
// repeat a few so that a plain "go test" runs them too.

func FuzzParseCommand(f *testing.F) {
	for _, s := range []string{
		"a NOOP\r\n",
		"a LOGIN {4}\r\nfred \"se\\\"cret\"\r\n",
		"a APPEND INBOX (\\Seen) \" 7-Jul-1996 02:44:25 -0700\" {5+}\r\nHello\r\n",
		"a UID FETCH 1:*,4 (FLAGS BODY.PEEK[1.2.HEADER.FIELDS.NOT (A B)]<0.10>)\r\n",
		"a SEARCH CHARSET UTF-8 OR (FROM x NOT SEEN) HEADER y {1}\r\nz 2:4\r\n",
		"a UID SORT (REVERSE DATE) UTF-8 ALL\r\n",
		"a ID (\"name\" NIL)\r\n",
		"a SETQUOTA \"\" (STORAGE 10)\r\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		cmd, err := ParseCommand(raw)
		if err != nil {
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("error %v (%T), want a *ParseError", err, err)
			}
			if pe.Msg == "" || strings.ContainsFunc(pe.Msg, func(r rune) bool { return r < 0x20 || r > 0x7e }) {
				t.Fatalf("message %q", pe.Msg)
			}
			if pe.Tag != "*" {
				checkTag(t, pe.Tag)
			}
			return
		}
		checkCommandInvariants(t, raw, cmd)
		again, err := ParseCommand(raw)
		if err != nil || !reflect.DeepEqual(cmd, again) {
			t.Fatalf("second parse differs: %v", err)
		}
		// Written back in the grammar, the command parses the same.
		formatted := formatCommand(cmd)
		reparsed, err := ParseCommand([]byte(formatted))
		if err != nil {
			t.Fatalf("%q, written back as %q, does not parse: %v", raw, formatted, err)
		}
		if !reparsed.Date.Equal(cmd.Date) {
			t.Fatalf("%q, written back as %q: date %v, was %v", raw, formatted, reparsed.Date, cmd.Date)
		}
		reparsed.Date, cmd.Date = time.Time{}, time.Time{}
		if !reflect.DeepEqual(cmd, reparsed) {
			t.Fatalf("%q, written back as %q\n gives %s\n  was %s", raw, formatted, dumpCommand(reparsed), dumpCommand(cmd))
		}
	})
}

func checkTag(t *testing.T, tag string) {
	t.Helper()
	if tag == "" {
		t.Fatal("empty tag")
	}
	for i := 0; i < len(tag); i++ {
		if !tagCharacter(tag[i]) {
			t.Fatalf("tag %q", tag)
		}
	}
}

// checkCommandInvariants checks what every parsed command must satisfy.
func checkCommandInvariants(t *testing.T, raw []byte, c *Command) {
	t.Helper()
	checkTag(t, c.Tag)
	if c.UID {
		if uidCommandParsers[c.Name] == nil {
			t.Fatalf("UID %s", c.Name)
		}
	} else if commandParsers[c.Name] == nil {
		t.Fatalf("command %q", c.Name)
	}
	for _, mailbox := range []string{c.Mailbox, c.NewMailbox} {
		if strings.EqualFold(mailbox, "INBOX") && mailbox != "INBOX" {
			t.Fatalf("INBOX not normalised: %q", mailbox)
		}
	}
	switch c.Name {
	case "FETCH", "STORE", "COPY", "MOVE":
		if len(c.SeqSet) == 0 {
			t.Fatal("no sequence set")
		}
	}
	for _, flag := range c.Flags {
		if flag == "" || strings.HasPrefix(flag, `\`) && settableSystemFlags[strings.ToUpper(flag[1:])] != flag {
			t.Fatalf("flag %q", flag)
		}
	}
	if c.Name == "FETCH" && len(c.Fetch) == 0 {
		t.Fatal("FETCH without items")
	}
	for _, item := range c.Fetch {
		if !item.HasSection && (item.Peek || item.HasPartial || !fetchItemsWithoutSection[item.Name]) {
			t.Fatalf("fetch item %+v", item)
		}
		if item.HasPartial && item.PartialLength == 0 {
			t.Fatalf("fetch item %+v", item)
		}
		s := item.Section
		switch s.Specifier {
		case "", "HEADER", "TEXT":
		case "MIME":
			if len(s.Part) == 0 {
				t.Fatalf("MIME without part: %+v", item)
			}
		case "HEADER.FIELDS", "HEADER.FIELDS.NOT":
			if len(s.Fields) == 0 {
				t.Fatalf("no fields: %+v", item)
			}
		default:
			t.Fatalf("section %+v", s)
		}
		for _, part := range s.Part {
			if part <= 0 {
				t.Fatalf("section %+v", s)
			}
		}
	}
	if (c.Name == "SEARCH" || c.Name == "SORT") != (c.Search != nil) {
		t.Fatalf("%s with search %v", c.Name, c.Search)
	}
	if c.Search != nil {
		if c.Search.Op != "AND" {
			t.Fatalf("top search key %s", c.Search.Op)
		}
		checkSearchKey(t, c.Search, 0)
	}
	if c.Name == "SORT" && len(c.SortKeys) == 0 {
		t.Fatal("SORT without criteria")
	}
	if len(c.Literal) > len(raw) {
		t.Fatal("literal longer than the command")
	}
}

func checkSearchKey(t *testing.T, k *SearchKey, depth int) {
	t.Helper()
	if depth > maxSearchNesting+1 {
		t.Fatalf("search nested %d deep", depth)
	}
	switch k.Op {
	case "AND":
		if len(k.Children) == 0 {
			t.Fatal("empty AND")
		}
	case "SEQ":
	default:
		if _, ok := searchKeyArguments[k.Op]; !ok {
			t.Fatalf("search key %q", k.Op)
		}
		if want := map[string]int{"NOT": 1, "OR": 2}[k.Op]; len(k.Children) != want {
			t.Fatalf("%s with %d children", k.Op, len(k.Children))
		}
	}
	if (k.Op == "SEQ" || k.Op == "UID") != (len(k.SeqSet) > 0) {
		t.Fatalf("search key %s with set %v", k.Op, k.SeqSet)
	}
	for _, child := range k.Children {
		checkSearchKey(t, child, depth+1)
	}
}

// fuzzReader is a bytes.Reader behind a small bufio.Reader that can tell
// how many bytes ReadCommand consumed.
type fuzzReader struct {
	data []byte
	src  *bytes.Reader
	r    *bufio.Reader
}

func newFuzzReader(data []byte) *fuzzReader {
	src := bytes.NewReader(data)
	return &fuzzReader{data: data, src: src, r: bufio.NewReaderSize(src, 16)}
}

// consumed is how many bytes have been taken out of the bufio.Reader.
func (fr *fuzzReader) consumed() int {
	return len(fr.data) - fr.src.Len() - fr.r.Buffered()
}

func FuzzReadCommand(f *testing.F) {
	for _, s := range []string{
		"a NOOP\r\nb LOGIN {3}\r\nabc {2+}\r\nde\r\n",
		"a APPEND x {30}\r\n" + strings.Repeat("m", 30) + "\r\n",
		strings.Repeat("x", 50) + " {3+}\r\nabc\r\nb NOOP\n",
		"a LOGIN {99999999999999999999}\r\n",
	} {
		f.Add([]byte(s), uint8(20), uint8(10), uint8(40))
	}
	f.Fuzz(func(t *testing.T, data []byte, maxLine, maxLiteral, maxAppend uint8) {
		limits := Limits{MaxLine: int(maxLine), MaxLiteral: int64(maxLiteral), MaxAppend: int64(maxAppend)}
		fr := newFuzzReader(data)
		for {
			before := fr.consumed()
			cont := func() error {
				// A continuation comes right after a line announcing a
				// synchronizing literal.
				at := fr.consumed()
				line := withoutLineEnding(fr.data[before:at])
				if at == 0 || fr.data[at-1] != '\n' || !bytes.HasSuffix(line, []byte("}")) || bytes.HasSuffix(line, []byte("+}")) {
					t.Fatalf("continuation after %q", fr.data[before:at])
				}
				return nil
			}
			raw, err := ReadCommand(fr.r, limits, cont)
			after := fr.consumed()
			var tooLarge *LiteralTooLargeError
			switch {
			case err == nil:
				if after-before != len(raw) || !bytes.Equal(raw, fr.data[before:after]) {
					t.Fatalf("returned %d bytes, consumed %d", len(raw), after-before)
				}
				if raw[len(raw)-1] != '\n' {
					t.Fatalf("command %q does not end a line", raw)
				}
				bound := int(maxLine) + 2 + int(maxLiteral)
				if _, isAppend := commandTagAndAppend(raw); isAppend {
					bound += int(maxAppend)
					if maxAppend == 0 {
						bound = len(data)
					}
				}
				if len(raw) > bound {
					t.Fatalf("command of %d bytes beyond the limits %+v", len(raw), limits)
				}
				ParseCommand(raw)
			case err == io.EOF:
				if before != len(data) {
					t.Fatalf("EOF at %d of %d", before, len(data))
				}
				return
			case errors.As(err, &tooLarge):
				if !tooLarge.Sync {
					return
				}
				// Nothing of the literal was read: the line announcing it
				// was consumed and nothing more.
				line := withoutLineEnding(fr.data[before:after])
				if fr.data[after-1] != '\n' || !bytes.HasSuffix(line, []byte("}")) {
					t.Fatalf("refused literal after %q", fr.data[before:after])
				}
			case errors.Is(err, ErrLineTooLong):
				if fr.data[after-1] != '\n' {
					t.Fatalf("too long line not read to its end: %q", fr.data[before:after])
				}
			default:
				if err != io.ErrUnexpectedEOF {
					t.Fatalf("error %v", err)
				}
				return
			}
			if after == before {
				t.Fatal("no progress")
			}
		}
	})
}

func FuzzMailboxName(f *testing.F) {
	for _, s := range []string{"INBOX", "~peter/mail/&U,BTFw-/&ZeVnLIqe-", "Tom &- Jerry", "台北", "&AOk-&AOk-", "&2D3eAA-", "a&", "\xff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if name, err := DecodeMailboxName(s); err == nil {
			// Only the canonical spelling decodes.
			if again := EncodeMailboxName(name); again != s {
				t.Fatalf("DecodeMailboxName(%q) = %q, which encodes as %q", s, name, again)
			}
		}
		if !utf8.ValidString(s) {
			return
		}
		encoded := EncodeMailboxName(s)
		for i := 0; i < len(encoded); i++ {
			if encoded[i] < 0x20 || encoded[i] > 0x7e {
				t.Fatalf("EncodeMailboxName(%q) = %q", s, encoded)
			}
		}
		if decoded, err := DecodeMailboxName(encoded); err != nil || decoded != s {
			t.Fatalf("DecodeMailboxName(EncodeMailboxName(%q)) = %q, %v", s, decoded, err)
		}
	})
}

// formatCommand writes c back in the grammar, every string as a literal,
// so that parsing the result must give c again.
func formatCommand(c *Command) string {
	var b strings.Builder
	b.WriteString(c.Tag + " ")
	if c.UID {
		b.WriteString("UID ")
	}
	b.WriteString(c.Name)
	litAfter := func(sep, s string) { fmt.Fprintf(&b, "%s{%d}\r\n%s", sep, len(s), s) }
	lit := func(s string) { litAfter(" ", s) }
	seqSet := func(set SeqSet) {
		for i, r := range set {
			sep := " "
			if i > 0 {
				sep = ","
			}
			fmt.Fprintf(&b, "%s%s:%s", sep, seqNumber(r.Start), seqNumber(r.Stop))
		}
	}
	switch c.Name {
	case "LOGIN":
		lit(c.User)
		lit(c.Password)
	case "AUTHENTICATE":
		b.WriteString(" " + c.Mechanism)
		if c.HasInitialResponse {
			b.WriteString(" " + cmp.Or(c.InitialResponse, "="))
		}
	case "SELECT", "EXAMINE", "CREATE", "DELETE", "SUBSCRIBE", "UNSUBSCRIBE", "GETQUOTAROOT", "GETACL", "MYRIGHTS":
		lit(c.Mailbox)
	case "RENAME":
		lit(c.Mailbox)
		lit(c.NewMailbox)
	case "LIST", "LSUB":
		lit(c.Mailbox)
		lit(c.Pattern)
	case "STATUS":
		lit(c.Mailbox)
		b.WriteString(" (" + strings.Join(c.StatusItems, " ") + ")")
	case "APPEND":
		lit(c.Mailbox)
		if c.Flags != nil {
			b.WriteString(" (" + strings.Join(c.Flags, " ") + ")")
		}
		if !c.Date.IsZero() {
			b.WriteString(c.Date.Format(` "02-Jan-2006 15:04:05 -0700"`))
		}
		lit(string(c.Literal))
	case "FETCH":
		seqSet(c.SeqSet)
		b.WriteString(" (")
		for i, item := range c.Fetch {
			if i > 0 {
				b.WriteString(" ")
			}
			formatFetchItem(&b, item)
		}
		b.WriteString(")")
	case "STORE":
		seqSet(c.SeqSet)
		b.WriteString(" " + [...]string{"", "+", "-"}[c.StoreMode] + "FLAGS")
		if c.Silent {
			b.WriteString(".SILENT")
		}
		b.WriteString(" (" + strings.Join(c.Flags, " ") + ")")
	case "COPY", "MOVE":
		seqSet(c.SeqSet)
		lit(c.Mailbox)
	case "EXPUNGE":
		if c.UID {
			seqSet(c.SeqSet)
		}
	case "SEARCH", "SORT":
		if c.Name == "SORT" {
			b.WriteString(" (")
			for i, k := range c.SortKeys {
				if i > 0 {
					b.WriteString(" ")
				}
				if k.Reverse {
					b.WriteString("REVERSE ")
				}
				b.WriteString(k.Key)
			}
			b.WriteString(") \"" + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(c.Charset) + `"`)
		} else if c.Charset != "" {
			b.WriteString(" CHARSET")
			lit(c.Charset)
		}
		for _, k := range c.Search.Children {
			b.WriteString(" ")
			formatSearchKey(&b, k)
		}
	case "ENABLE":
		b.WriteString(" " + strings.Join(c.Capabilities, " "))
	case "ID":
		if c.IDParams == nil {
			b.WriteString(" NIL")
			break
		}
		sep := " ("
		for k, v := range c.IDParams {
			litAfter(sep, k)
			lit(v)
			sep = " "
		}
		if sep == " (" {
			b.WriteString(" (")
		}
		b.WriteString(")")
	case "GETQUOTA":
		lit(c.QuotaRoot)
	case "SETQUOTA":
		lit(c.QuotaRoot)
		sep := " ("
		for k, v := range c.QuotaLimits {
			fmt.Fprintf(&b, "%s%s %d", sep, k, v)
			sep = " "
		}
		if sep == " (" {
			b.WriteString(" (")
		}
		b.WriteString(")")
	case "SETACL", "DELETEACL", "LISTRIGHTS":
		lit(c.Mailbox)
		lit(c.Identifier)
		if c.Name == "SETACL" {
			lit(c.Rights)
		}
	}
	b.WriteString("\r\n")
	return b.String()
}

func seqNumber(n uint32) string {
	if n == 0 {
		return "*"
	}
	return strconv.FormatUint(uint64(n), 10)
}

func formatFetchItem(b *strings.Builder, item FetchItem) {
	if !item.HasSection {
		b.WriteString(item.Name)
		return
	}
	b.WriteString("BODY")
	if item.Peek {
		b.WriteString(".PEEK")
	}
	b.WriteString("[")
	s := item.Section
	for i, part := range s.Part {
		if i > 0 {
			b.WriteString(".")
		}
		b.WriteString(strconv.Itoa(part))
	}
	if len(s.Part) > 0 && s.Specifier != "" {
		b.WriteString(".")
	}
	b.WriteString(s.Specifier)
	if s.Fields != nil {
		b.WriteString(" (")
		for i, f := range s.Fields {
			if i > 0 {
				b.WriteString(" ")
			}
			fmt.Fprintf(b, "{%d}\r\n%s", len(f), f)
		}
		b.WriteString(")")
	}
	b.WriteString("]")
	if item.HasPartial {
		fmt.Fprintf(b, "<%d.%d>", item.PartialStart, item.PartialLength)
	}
}

func formatSearchKey(b *strings.Builder, k *SearchKey) {
	lit := func(s string) { fmt.Fprintf(b, " {%d}\r\n%s", len(s), s) }
	switch arg := searchKeyArguments[k.Op]; {
	case k.Op == "AND":
		b.WriteString("(")
		for i, child := range k.Children {
			if i > 0 {
				b.WriteString(" ")
			}
			formatSearchKey(b, child)
		}
		b.WriteString(")")
	case k.Op == "SEQ" || arg == searchSeqSet:
		if k.Op != "SEQ" {
			b.WriteString(k.Op + " ")
		}
		for i, r := range k.SeqSet {
			if i > 0 {
				b.WriteString(",")
			}
			b.WriteString(seqNumber(r.Start) + ":" + seqNumber(r.Stop))
		}
	default:
		b.WriteString(k.Op)
		switch arg {
		case searchString:
			lit(k.Value)
		case searchDate:
			b.WriteString(k.Date.Format(" 2-Jan-2006"))
		case searchNumber:
			fmt.Fprintf(b, " %d", k.Number)
		case searchKeyword:
			b.WriteString(" " + k.Value)
		case searchHeader:
			lit(k.Field)
			lit(k.Value)
		case searchOneKey, searchTwoKeys:
			for _, child := range k.Children {
				b.WriteString(" ")
				formatSearchKey(b, child)
			}
		}
	}
}
