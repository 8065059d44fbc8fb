package imap

import (
	"context"
	"slices"
	"strconv"
	"strings"

	"github.com/mailwright/mailwright/store"
)

// parseStoreFlags splits STORE's (and APPEND's) flags into system flag
// bits and keywords. \Recent cannot be stored (RFC 3501 2.3.2), nor an
// unknown system flag.
func parseStoreFlags(flags []string) (bits int, keywords []string, msg string) {
	for _, f := range flags {
		if strings.HasPrefix(f, `\`) {
			found := false
			for _, sf := range flagBits {
				if strings.EqualFold(f, sf.name) {
					bits |= sf.bit
					found = true
				}
			}
			if !found {
				if strings.EqualFold(f, `\Recent`) {
					return 0, nil, `\Recent cannot be stored`
				}
				return 0, nil, "Unknown system flag " + f
			}
			continue
		}
		if f == "" {
			return 0, nil, "Invalid keyword"
		}
		for i := 0; i < len(f); i++ {
			if !isAtomChar(f[i]) {
				return 0, nil, "Invalid keyword"
			}
		}
		if !containsFold(keywords, f) {
			keywords = append(keywords, f)
		}
	}
	return bits, keywords, ""
}

// storedResult is what STORE makes of one message's flags.
func storedResult(m *selectedMessage, mode StoreMode, bits int, keywords []string) (int, []string) {
	switch mode {
	case StoreAdd:
		kw := slices.Clone(m.keywords)
		for _, k := range keywords {
			if !containsFold(kw, k) {
				kw = append(kw, k)
			}
		}
		return int(m.flags) | bits, kw
	case StoreRemove:
		kw := slices.DeleteFunc(slices.Clone(m.keywords), func(k string) bool { return containsFold(keywords, k) })
		return int(m.flags) &^ bits, kw
	}
	return bits, keywords
}

// storeRightsMissing says which RFC 4314 right a STORE on a public folder
// lacks, "" when it has them: s for a change of \Seen, t of \Deleted, w of
// any other flag or keyword. Only the flags that would change count.
func (sel *selected) storeRightsMissing(idx []int, mode StoreMode, bits int, keywords []string) string {
	for _, i := range idx {
		m := &sel.msgs[i]
		newBits, newKeywords := storedResult(m, mode, bits, keywords)
		changed := newBits ^ int(m.flags)
		for _, sf := range flagBits {
			if changed&sf.bit != 0 && !sel.may(rightForFlag(sf.bit)) {
				return rightForFlag(sf.bit)
			}
		}
		if !sameKeywords(m.keywords, newKeywords) && !sel.may("w") {
			return "w"
		}
	}
	return ""
}

func sameKeywords(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for _, k := range a {
		if !containsFold(b, k) {
			return false
		}
	}
	return true
}

// cmdStore is STORE and UID STORE (RFC 3501 6.4.6).
func (s *session) cmdStore(ctx context.Context, c *Command) {
	if !s.requireSelected(c) {
		return
	}
	sel := s.sel
	idx, err := sel.resolve(c.SeqSet, c.UID)
	if err != nil {
		s.tagged(c.Tag, "BAD", "", "Invalid sequence set")
		return
	}
	bits, keywords, msg := parseStoreFlags(c.Flags)
	if msg != "" {
		s.tagged(c.Tag, "BAD", "", msg)
		return
	}
	if sel.readOnly {
		s.tagged(c.Tag, "NO", "", "Mailbox is read-only")
		return
	}
	if sel.publicFolder() {
		if right := sel.storeRightsMissing(idx, c.StoreMode, bits, keywords); right != "" {
			s.tagged(c.Tag, "NO", "NOPERM", "Changing these flags needs the right "+right)
			return
		}
	}
	var uids []uint32
	missing := false
	for _, i := range idx {
		if sel.msgs[i].expunged {
			missing = true
			continue
		}
		uids = append(uids, sel.msgs[i].uid)
	}
	if len(uids) > 0 {
		mode := store.FlagsReplace
		switch c.StoreMode {
		case StoreAdd:
			mode = store.FlagsAdd
		case StoreRemove:
			mode = store.FlagsRemove
		}
		updated, change, err := s.srv.store.SetFlagsTracked(ctx, sel.folder.ID, uids, mode, bits, keywords)
		if err != nil {
			s.serverError(c.Tag, "storing flags", err)
			return
		}
		sel.applyStored(updated)
		sel.takeOwnChange(change)
		var kw []string
		for _, u := range updated {
			kw = append(kw, u.Keywords...)
		}
		if sel.noteKeywords(kw) {
			s.untagged("FLAGS " + string(appendFlagList(nil, sel.definedFlags())))
			s.untagged("OK [PERMANENTFLAGS " + string(appendFlagList(nil, sel.permanentFlags())) + "] Flags permitted")
		}
		if !c.Silent {
			stored := make(map[uint32]bool, len(updated))
			for _, u := range updated {
				stored[u.UID] = true
			}
			var line []byte
			for _, i := range idx {
				m := &sel.msgs[i]
				if !stored[m.uid] {
					continue
				}
				line = append(line[:0], "* "...)
				line = strconv.AppendInt(line, int64(i+1), 10)
				line = append(line, " FETCH ("...)
				if c.UID {
					line = append(line, "UID "...)
					line = strconv.AppendUint(line, uint64(m.uid), 10)
					line = append(line, ' ')
				}
				line = append(line, "FLAGS "...)
				line = appendFlagList(line, m.flagNames())
				line = append(line, ")\r\n"...)
				s.writeRaw(line)
			}
		}
	}
	s.writeUpdates(ctx, c.UID)
	if missing && !c.UID {
		// RFC 2180 4.2.1: the messages another session expunged.
		s.tagged(c.Tag, "NO", "", "Some of the messages no longer exist")
		return
	}
	s.tagged(c.Tag, "OK", "", "STORE completed")
}
