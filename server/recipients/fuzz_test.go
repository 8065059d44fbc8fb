package recipients

import (
	"context"
	"testing"

	"github.com/mailwright/mailwright/server/smtpreply"
	"github.com/mailwright/mailwright/store"
)

// FuzzResolve feeds arbitrary RCPT TO addresses to a small fixed store: an
// account, plus addressing, a domain alias name, an alias loop, nested lists
// that contain each other, a catch-all and a route. Resolve must never panic
// and must answer either targets or a reply, never both nor neither. The
// seed corpus is in testdata/fuzz/FuzzResolve.
func FuzzResolve(f *testing.F) {
	s := openSQLite(f)
	w := newWorld(f, s)
	w.domain(store.Domain{Name: "example.com", Active: true, PlusAddressing: true, PlusAddressingChar: "+"}, "example.net")
	w.account("alice@example.com", true)
	w.account("bob@example.com", false)
	w.alias("loop-a@example.com", "loop-b@example.com", true)
	w.alias("loop-b@example.com", "loop-a@example.com", true)
	w.alias("info@example.com", "alice@example.com", true)
	w.list(store.List{Address: "team@example.com", Active: true}, "alice@example.com", "info@example.com", "staff@example.com", "x@external.org")
	w.list(store.List{Address: "staff@example.com", Active: true}, "team@example.com", "bob@example.com", "loop-a@example.com")
	w.domain(store.Domain{Name: "catchall.test", Active: true, CatchAllAddress: "info@example.com"})
	w.route(store.Route{Domain: "routed.test", Addresses: []string{"ok@routed.test"}})
	r := New(s)

	f.Fuzz(func(t *testing.T, rcpt string) {
		targets, err := r.Resolve(context.Background(), rcpt, Sender{Address: "someone@external.org"})
		switch {
		case err != nil && len(targets) > 0:
			t.Fatalf("Resolve(%q) gave both targets %v and the error %v", rcpt, targets, err)
		case err == nil && len(targets) == 0:
			t.Fatalf("Resolve(%q) gave neither targets nor an error", rcpt)
		case err != nil:
			if _, ok := smtpreply.As(err); !ok {
				t.Fatalf("Resolve(%q) failed with %v, not a reply, on a healthy store", rcpt, err)
			}
			return
		}
		seen := map[string]bool{}
		for _, target := range targets {
			key := store.Lower(target.Address)
			if target.Address == "" || seen[key] {
				t.Fatalf("Resolve(%q) gave an empty or repeated target in %v", rcpt, targets)
			}
			seen[key] = true
			if target.AccountID != 0 && target.Route != 0 {
				t.Fatalf("Resolve(%q) gave a local target with a route: %v", rcpt, target)
			}
		}
	})
}
