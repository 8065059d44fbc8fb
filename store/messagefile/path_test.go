package messagefile

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

const testID = "0123456789abcdef0123456789abcdef"

func TestAccountPathLowerCasesAndShardsByIDPrefix(t *testing.T) {
	tests := []struct {
		domain, local, id string
		want              string
	}{
		{"example.com", "alice", testID, "example.com/alice/01/" + testID + ".eml"},
		{"EXAMPLE.com", "Alice", testID, "example.com/alice/01/" + testID + ".eml"},
		{"mail.example.org", "first.last+tag", "ff" + testID[2:], "mail.example.org/first.last+tag/ff/ff" + testID[2:] + ".eml"},
		{"bücher.example", "JÖRG", testID, "bücher.example/jörg/01/" + testID + ".eml"},
		{"xn--bcher-kva.example", "o'brien", testID, "xn--bcher-kva.example/o'brien/01/" + testID + ".eml"},
		{"[192.0.2.1]", "postmaster", testID, "[192.0.2.1]/postmaster/01/" + testID + ".eml"},
		{"localhost", "a=b#c$d%e&f!g{h}", testID, "localhost/a=b#c$d%e&f!g{h}/01/" + testID + ".eml"},
		{"queue.example", "queue", testID, "queue.example/queue/01/" + testID + ".eml"},
	}
	for _, tt := range tests {
		got, err := AccountPath(tt.domain, tt.local, tt.id)
		if err != nil {
			t.Errorf("AccountPath(%q, %q, %q): %v", tt.domain, tt.local, tt.id, err)
			continue
		}
		if got != tt.want {
			t.Errorf("AccountPath(%q, %q, %q) = %q, want %q", tt.domain, tt.local, tt.id, got, tt.want)
		}
	}
}

func TestQueuePathKeepsQueuedMessagesApart(t *testing.T) {
	got, err := QueuePath(testID)
	if err != nil {
		t.Fatal(err)
	}
	if want := "queue/01/" + testID + ".eml"; got != want {
		t.Errorf("QueuePath = %q, want %q", got, want)
	}
	for _, id := range []string{"", "01", "../" + testID[3:], strings.ToUpper(testID), testID + "0", "g" + testID[1:]} {
		if _, err := QueuePath(id); !errors.Is(err, ErrInvalidPath) {
			t.Errorf("QueuePath(%q) error = %v, want ErrInvalidPath", id, err)
		}
	}
}

func TestAccountPathRejectsHostileNames(t *testing.T) {
	tests := []struct {
		name              string
		domain, local, id string
		wantInError       string
	}{
		{"empty domain", "", "alice", testID, "empty domain"},
		{"empty local part", "example.com", "", testID, "empty local part"},
		{"parent domain", "..", "alice", testID, "parent directory"},
		{"parent local part", "example.com", "..", testID, "parent directory"},
		{"traversal in local part", "example.com", "../../etc", testID, "path separator"},
		{"slash in local part", "example.com", "a/b", testID, "path separator"},
		{"slash in domain", "example.com/x", "alice", testID, "path separator"},
		{"backslash in local part", "example.com", `a\b`, testID, "path separator"},
		{"backslash traversal", "example.com", `..\..\x`, testID, "path separator"},
		{"local part starting with dot", "example.com", ".alice", testID, `starts with "."`},
		{"dot local part", "example.com", ".", testID, "current directory"},
		{"domain starting with dot", ".example.com", "alice", testID, `starts with "."`},
		{"NUL in local part", "example.com", "x\x00y", testID, "NUL"},
		{"control character", "example.com", "x\ny", testID, "control character"},
		{"device name", "example.com", "CON", testID, "reserved device name"},
		{"device name lower case", "example.com", "nul", testID, "reserved device name"},
		{"device name with extension", "example.com", "aux.txt", testID, "reserved device name"},
		{"device name COM1", "example.com", "com1", testID, "reserved device name"},
		{"device name LPT superscript", "example.com", "LPT¹", testID, "reserved device name"},
		{"device domain", "prn", "alice", testID, "reserved device name"},
		{"drive letter", "c:", "alice", testID, `":"`},
		{"alternate data stream", "example.com", "alice::$DATA", testID, `":"`},
		{"IPv6 literal", "[IPv6:2001:db8::1]", "alice", testID, `":"`},
		{"trailing dot", "example.com.", "alice", testID, "space or dot"},
		{"trailing space", "example.com", "alice ", testID, "space or dot"},
		{"8.3 short name", "exampl~1.com", "alice", testID, "8.3"},
		{"windows forbidden character", "example.com", "who?", testID, "Windows does not allow"},
		{"quote", "example.com", `"john doe"`, testID, "Windows does not allow"},
		{"invalid UTF-8", "example.com", "\xff\xfe", testID, "UTF-8"},
		{"too long", "example.com", strings.Repeat("a", 256), testID, "longer than 255"},
		{"queue domain", "QUEUE", "alice", testID, "reserved for the queue"},
		{"short id", "example.com", "alice", "01", "message id"},
		{"id traversal", "example.com", "alice", "../" + testID[3:], "message id"},
		{"upper-case id", "example.com", "alice", strings.ToUpper(testID), "message id"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := AccountPath(tt.domain, tt.local, tt.id)
			if err == nil {
				t.Fatalf("AccountPath(%q, %q, %q) = %q, want error", tt.domain, tt.local, tt.id, got)
			}
			if !errors.Is(err, ErrInvalidPath) {
				t.Errorf("error %v does not wrap ErrInvalidPath", err)
			}
			if !strings.Contains(err.Error(), tt.wantInError) {
				t.Errorf("error %q does not mention %q", err, tt.wantInError)
			}
		})
	}
}

func TestValidateRel(t *testing.T) {
	tests := []struct {
		rel         string
		wantInError string // "" means valid
	}{
		{"example.com/alice/01/" + testID + ".eml", ""},
		{"queue/01/" + testID + ".eml", ""},
		{"example.com", ""},
		{"a", ""},
		{"Data/example.com/alice/4A/{4A3B8F00-1234-5678-9ABC-DEF012345678}.eml", ""}, // hMailServer 5 style
		{"bücher.example/jörg/x.eml", ""},
		{"a~b/x.eml", ""},

		{"", "empty path"},
		{"/etc/passwd", "absolute"},
		{"/", "absolute"},
		{"C:/Windows/x", "drive letter"},
		{"c:x", "drive letter"},
		{`a\b`, "backslash"},
		{`\\server\share\x`, "backslash"},
		{"..", "parent directory"},
		{"../x", "parent directory"},
		{"a/../../x", "parent directory"},
		{"a/..", "parent directory"},
		{"./a", "current directory"},
		{"a/./b", "current directory"},
		{"a//b", "is empty"},
		{"a/", "is empty"},
		{"a/.b.eml.1234.tmp", `starts with "."`},
		{"a/x\x00y", "NUL"},
		{"a/x\ty", "control character"},
		{"a/x\x7fy", "control character"},
		{"CON", "reserved device name"},
		{"a/con/b", "reserved device name"},
		{"a/Nul.eml", "reserved device name"},
		{"a/NUL .eml", "reserved device name"},
		{"con.example/x.eml", "reserved device name"}, // CON.anything is CON on Windows
		{"COM1", "reserved device name"},
		{"lpt9.txt", "reserved device name"},
		{"COM²", "reserved device name"},
		{"conin$", "reserved device name"},
		{"a/b:c", `":"`},
		{"a/b.", "space or dot"},
		{"a/b ", "space or dot"},
		{"progra~1/x", "8.3"},
		{"a/b*c", "Windows does not allow"},
		{"a/b<c", "Windows does not allow"},
		{"a/b|c", "Windows does not allow"},
		{"a/\xc3", "UTF-8"},
		{strings.Repeat("a", 256), "longer than 255"},
	}
	for _, tt := range tests {
		err := ValidateRel(tt.rel)
		switch {
		case tt.wantInError == "" && err != nil:
			t.Errorf("ValidateRel(%q) = %v, want nil", tt.rel, err)
		case tt.wantInError != "" && err == nil:
			t.Errorf("ValidateRel(%q) = nil, want error mentioning %q", tt.rel, tt.wantInError)
		case err != nil && !errors.Is(err, ErrInvalidPath):
			t.Errorf("ValidateRel(%q) error %v does not wrap ErrInvalidPath", tt.rel, err)
		case err != nil && !strings.Contains(err.Error(), tt.wantInError):
			t.Errorf("ValidateRel(%q) error %q does not mention %q", tt.rel, err, tt.wantInError)
		}
	}
}

func TestNewQueueIDIsAValidIDWhoseDirectoryFollowsTheSecond(t *testing.T) {
	a, b := NewQueueID(), NewQueueID()
	if a == b {
		t.Fatalf("two queue ids are equal: %s", a)
	}
	for _, id := range []string{a, b} {
		if _, err := QueuePath(id); err != nil {
			t.Errorf("QueuePath(%q): %v", id, err)
		}
	}
	at := time.Unix(1700000000, 0)
	if got, want := queueBucket(at), fmt.Sprintf("%02x", 1700000000%256); got != want {
		t.Errorf("queueBucket(%v) = %q, want %q", at, got, want)
	}
	if queueBucket(at) == queueBucket(at.Add(time.Second)) {
		t.Errorf("consecutive seconds share the bucket %q", queueBucket(at))
	}
}
