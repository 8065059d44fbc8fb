package imap

import (
	"context"
	"strings"

	"github.com/mailwright/mailwright/store"
)

// LIST, LSUB (RFC 3501 6.3.8, 6.3.9, with the attributes of CHILDREN, RFC
// 3348, and SPECIAL-USE, RFC 6154) and NAMESPACE (RFC 2342).

// listEntry is a mailbox LIST or LSUB may show.
type listEntry struct {
	name  string // UTF-8, full
	attrs []string
}

// listEntries are the mailboxes the account sees, in the order LIST shows
// them: its own folders, then the public root and the public folders it
// may look up (right l). For LSUB, only the subscribed ones.
func (s *session) listEntries(ctx context.Context, lsub bool) ([]listEntry, error) {
	personal, public, err := s.trees(ctx)
	if err != nil {
		return nil, err
	}
	d := s.delimiter()
	var out []listEntry
	for _, f := range personal.order {
		if lsub && !f.Subscribed {
			continue
		}
		out = append(out, listEntry{name: strings.Join(personal.path(f), d), attrs: s.listAttrs(lsub, personal, f, nil)})
	}
	if public == nil {
		return out, nil
	}
	visible := map[int64]bool{}
	for _, f := range public.order {
		rights, err := s.srv.store.FolderRights(ctx, f.ID, s.account)
		if err != nil {
			return nil, err
		}
		visible[f.ID] = strings.Contains(rights, "l")
	}
	isVisible := func(f store.Folder) bool { return visible[f.ID] }
	prefix := s.publicPrefix()
	if !lsub {
		attrs := []string{`\Noselect`, `\HasNoChildren`}
		for _, f := range public.children[0] {
			if visible[f.ID] {
				attrs[1] = `\HasChildren`
				break
			}
		}
		out = append(out, listEntry{name: prefix, attrs: attrs})
	}
	for _, f := range public.order {
		if !visible[f.ID] || (lsub && !f.Subscribed) {
			continue
		}
		name := prefix + d + strings.Join(public.path(f), d)
		out = append(out, listEntry{name: name, attrs: s.listAttrs(lsub, public, f, isVisible)})
	}
	return out, nil
}

// listAttrs are a folder's LIST attributes; LSUB shows none.
func (s *session) listAttrs(lsub bool, t *folderTree, f store.Folder, visible func(store.Folder) bool) []string {
	if lsub {
		return nil
	}
	var attrs []string
	if t.hasChildren(f, visible) {
		attrs = append(attrs, `\HasChildren`)
	} else {
		attrs = append(attrs, `\HasNoChildren`)
	}
	if use := store.SpecialUse(f); use != "" {
		attrs = append(attrs, use)
	}
	return attrs
}

// cmdList is LIST and LSUB.
func (s *session) cmdList(ctx context.Context, c *Command) {
	lsub := c.Name == "LSUB"
	ref, ok := s.decodeMailbox(c.Tag, c.Mailbox)
	if !ok {
		return
	}
	pattern, ok := s.decodeMailbox(c.Tag, c.Pattern)
	if !ok {
		return
	}
	d := s.delimiter()
	if pattern == "" {
		if !lsub {
			// RFC 3501 6.3.8: an empty name asks for the delimiter and the
			// root of the reference name.
			root := ""
			if i := strings.Index(ref, d); i >= 0 {
				root = ref[:i+len(d)]
			}
			s.writeList("LIST", listEntry{name: root, attrs: []string{`\Noselect`}})
		}
		s.ok(ctx, c.Tag, "", c.Name+" completed")
		return
	}
	full := canonicalInbox(ref+pattern, d)
	entries, err := s.listEntries(ctx, lsub)
	if err != nil {
		s.serverError(c.Tag, "listing folders", err)
		return
	}
	known := make(map[string]bool, len(entries))
	for _, e := range entries {
		known[e.name] = true
	}
	shown := map[string]bool{}
	for _, e := range entries {
		if matchPattern(full, e.name, d) {
			if !shown[e.name] {
				shown[e.name] = true
				s.writeList(c.Name, e)
			}
			continue
		}
		// RFC 3501 6.3.8, 6.3.9: a level of hierarchy above a mailbox the
		// pattern does not reach, that matches but is no mailbox itself
		// (or, for LSUB, is not subscribed), is shown \Noselect, so that
		// "%" can reach what is under it.
		for i := 0; ; {
			j := strings.Index(e.name[i:], d)
			if j < 0 {
				break
			}
			ancestor := e.name[:i+j]
			i += j + len(d)
			if known[ancestor] || shown[ancestor] || !matchPattern(full, ancestor, d) {
				continue
			}
			shown[ancestor] = true
			attrs := []string{`\Noselect`}
			if !lsub {
				attrs = append(attrs, `\HasChildren`)
			}
			s.writeList(c.Name, listEntry{name: ancestor, attrs: attrs})
		}
	}
	s.ok(ctx, c.Tag, "", c.Name+" completed")
}

// canonicalInbox spells a leading INBOX level in upper case: INBOX is
// matched without regard to case (RFC 3501 5.1).
func canonicalInbox(name, d string) string {
	if len(name) >= 5 && strings.EqualFold(name[:5], "INBOX") && (len(name) == 5 || strings.HasPrefix(name[5:], d)) {
		return "INBOX" + name[5:]
	}
	return name
}

// writeList writes one LIST or LSUB response.
func (s *session) writeList(kind string, e listEntry) {
	b := []byte("* " + kind + " (" + strings.Join(e.attrs, " ") + ") ")
	b = appendString(b, []byte(s.delimiter()))
	b = append(b, ' ')
	b = appendString(b, []byte(EncodeMailboxName(e.name)))
	b = append(b, "\r\n"...)
	s.writeRaw(b)
}

// matchPattern matches a LIST pattern: "*" matches anything, "%" anything
// but the delimiter (RFC 3501 6.3.8). It runs in time proportional to
// len(pattern)*len(name), whatever the wildcards.
func matchPattern(pattern, name, d string) bool {
	// inDelimiter marks the bytes of the name that belong to a delimiter.
	inDelimiter := make([]bool, len(name))
	for i := 0; d != "" && i+len(d) <= len(name); i++ {
		if name[i:i+len(d)] == d {
			for k := i; k < i+len(d); k++ {
				inDelimiter[k] = true
			}
		}
	}
	// next[j] says whether pattern[p+1:] matches name[j:]; cur the same
	// for pattern[p:].
	next := make([]bool, len(name)+1)
	cur := make([]bool, len(name)+1)
	next[len(name)] = true
	for p := len(pattern) - 1; p >= 0; p-- {
		c := pattern[p]
		cur[len(name)] = next[len(name)] && (c == '*' || c == '%')
		for j := len(name) - 1; j >= 0; j-- {
			switch c {
			case '*':
				cur[j] = next[j] || cur[j+1]
			case '%':
				cur[j] = next[j] || (!inDelimiter[j] && cur[j+1])
			default:
				cur[j] = name[j] == c && next[j+1]
			}
		}
		next, cur = cur, next
	}
	return next[0]
}

// cmdNamespace is NAMESPACE (RFC 2342): the personal namespace, no other
// users', and the public folders as the shared one.
func (s *session) cmdNamespace(ctx context.Context, c *Command) {
	d := []byte(s.delimiter())
	b := []byte("* NAMESPACE ((")
	b = appendString(b, nil)
	b = append(b, ' ')
	b = appendString(b, d)
	b = append(b, ")) NIL "...)
	if p := s.publicPrefix(); p != "" {
		b = append(b, "(("...)
		b = appendString(b, []byte(EncodeMailboxName(p)+string(d)))
		b = append(b, ' ')
		b = appendString(b, d)
		b = append(b, "))"...)
	} else {
		b = append(b, "NIL"...)
	}
	b = append(b, "\r\n"...)
	s.writeRaw(b)
	s.ok(ctx, c.Tag, "", "NAMESPACE completed")
}
