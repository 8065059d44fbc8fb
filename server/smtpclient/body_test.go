package smtpclient

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestDataWriter(t *testing.T) {
	for _, tc := range []struct {
		name, in, want string
	}{
		{"empty_message_is_only_the_final_dot", "", ".\r\n"},
		{"CRLF_lines_pass_unchanged", "a\r\nb\r\n", "a\r\nb\r\n.\r\n"},
		{"bare_LF_becomes_CRLF", "a\nb\n", "a\r\nb\r\n.\r\n"},
		{"bare_CR_becomes_CRLF", "a\rb\r", "a\r\nb\r\n.\r\n"},
		{"CR_CR_LF_is_two_line_breaks", "a\r\r\nb", "a\r\n\r\nb\r\n.\r\n"},
		{"open_last_line_is_ended", "a", "a\r\n.\r\n"},
		{"leading_dot_is_doubled", ".a\r\n", "..a\r\n.\r\n"},
		{"lone_dot_line_is_doubled", "a\r\n.\r\nb\r\n", "a\r\n..\r\nb\r\n.\r\n"},
		{"dot_after_bare_LF_is_doubled", "a\n.\nb", "a\r\n..\r\nb\r\n.\r\n"},
		{"dot_after_bare_CR_is_doubled", "a\r.\r\n", "a\r\n..\r\n.\r\n"},
		{"dot_inside_a_line_is_kept", "a.b .\r\n", "a.b .\r\n.\r\n"},
		{"message_ending_in_a_dot_line_without_break", "a\r\n.", "a\r\n..\r\n.\r\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, chunk := range []int{len(tc.in) + 1, 1, 2, 3} {
				var out bytes.Buffer
				w := newDataWriter(&out)
				for in := tc.in; len(in) > 0; {
					n := min(chunk, len(in))
					if _, err := w.Write([]byte(in[:n])); err != nil {
						t.Fatal(err)
					}
					in = in[n:]
				}
				if err := w.Close(); err != nil {
					t.Fatal(err)
				}
				if out.String() != tc.want {
					t.Errorf("written %d bytes at a time: got %q, want %q", chunk, out.String(), tc.want)
				}
				if wantSize := int64(len(unstuff(tc.want))); w.size != wantSize {
					t.Errorf("size %d, want %d", w.size, wantSize)
				}
			}
		})
	}
}

// unstuff undoes dot-stuffing and drops the final dot.
func unstuff(data string) string {
	data = strings.TrimSuffix(data, ".\r\n")
	var out strings.Builder
	for line := range strings.Lines(data) {
		out.WriteString(strings.TrimPrefix(line, "."))
	}
	return out.String()
}

func TestScanMessage(t *testing.T) {
	t.Run("seekable_body_is_read_again_from_where_it_started", func(t *testing.T) {
		f, err := os.Create(filepath.Join(t.TempDir(), "m.eml"))
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		f.WriteString("skipped\r\nSubject: \xe9\r\n")
		f.Seek(9, io.SeekStart)
		msg, err := scanMessage(f, 0)
		if err != nil {
			t.Fatal(err)
		}
		if !msg.eightBit || msg.size != 12 {
			t.Errorf("eightBit %v size %d", msg.eightBit, msg.size)
		}
		rest, _ := io.ReadAll(msg.body)
		if string(rest) != "Subject: \xe9\r\n" {
			t.Errorf("body reads %q", rest)
		}
	})
	t.Run("given_size_is_kept", func(t *testing.T) {
		msg, err := scanMessage(strings.NewReader("a\n"), 99)
		if err != nil || msg.size != 99 || msg.eightBit {
			t.Errorf("%+v %v", msg, err)
		}
	})
	t.Run("read_error_is_reported", func(t *testing.T) {
		_, err := scanMessage(io.MultiReader(strings.NewReader("a"), failingReader{}), 0)
		if !errors.Is(err, errDisk) {
			t.Errorf("error %v", err)
		}
	})
}

var errDisk = errors.New("disk on fire")

type failingReader struct{}

func (failingReader) Read([]byte) (int, error) { return 0, errDisk }
