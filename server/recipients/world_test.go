package recipients

import (
	"context"
	"testing"

	"github.com/mailwright/mailwright/store"
)

// world is a store filled with the objects the tests resolve against.
type world struct {
	t        testing.TB
	s        *store.Store
	accounts map[string]int64 // lower-cased address → account id
	routes   map[string]int64 // route domain → route id
}

func newWorld(t testing.TB, s *store.Store) *world {
	return &world{t: t, s: s, accounts: map[string]int64{}, routes: map[string]int64{}}
}

// local is the target of an account the world holds.
func (w *world) local(address string) Target {
	w.t.Helper()
	id, ok := w.accounts[store.Lower(address)]
	if !ok {
		w.t.Fatalf("no account %s in the test world", address)
	}
	return Target{Address: address, AccountID: id}
}

func (w *world) domain(d store.Domain, aliasNames ...string) {
	w.t.Helper()
	ctx := context.Background()
	d, err := w.s.CreateDomain(ctx, d)
	if err != nil {
		w.t.Fatalf("create domain %s: %v", d.Name, err)
	}
	for _, n := range aliasNames {
		if _, err := w.s.AddDomainAlias(ctx, d.ID, n); err != nil {
			w.t.Fatalf("add domain alias %s: %v", n, err)
		}
	}
}

func (w *world) account(address string, active bool) {
	w.t.Helper()
	a, err := w.s.CreateAccount(context.Background(), store.Account{Address: address, Active: active}, "secret-"+address)
	if err != nil {
		w.t.Fatalf("create account %s: %v", address, err)
	}
	w.accounts[store.Lower(address)] = a.ID
}

func (w *world) alias(address, target string, active bool) {
	w.t.Helper()
	if _, err := w.s.CreateAlias(context.Background(), store.Alias{Address: address, Target: target, Active: active}); err != nil {
		w.t.Fatalf("create alias %s: %v", address, err)
	}
}

func (w *world) list(l store.List, members ...string) {
	w.t.Helper()
	ctx := context.Background()
	l, err := w.s.CreateList(ctx, l)
	if err != nil {
		w.t.Fatalf("create list %s: %v", l.Address, err)
	}
	for _, m := range members {
		if err := w.s.AddListMember(ctx, l.ID, m); err != nil {
			w.t.Fatalf("add %s to %s: %v", m, l.Address, err)
		}
	}
}

func (w *world) route(r store.Route) {
	w.t.Helper()
	r.TargetHost, r.TargetPort = "smtp.provider.test", 25
	r, err := w.s.CreateRoute(context.Background(), r)
	if err != nil {
		w.t.Fatalf("create route %s: %v", r.Domain, err)
	}
	w.routes[r.Domain] = r.ID
}

// buildWorld fills s with everything TestResolve and TestLocality use.
func buildWorld(t testing.TB, s *store.Store) *world {
	w := newWorld(t, s)

	// example.com, also called example.net, with plus addressing on "+".
	w.domain(store.Domain{Name: "example.com", Active: true, PlusAddressing: true, PlusAddressingChar: "+"}, "example.net")
	for _, a := range []string{"alice", "bob", "carol", "user", "user+tag", "boss"} {
		w.account(a+"@example.com", true)
	}
	w.account("dave@example.com", false)

	w.alias("info@example.com", "alice@example.com", true)
	w.alias("sales@example.com", "info@example.com", true)
	w.alias("partners@example.com", "friend@external.org", true)
	w.alias("via-net@example.com", "carol@example.net", true)
	w.alias("loop-a@example.com", "loop-b@example.com", true)
	w.alias("loop-b@example.com", "loop-a@example.com", true)
	w.alias("old@example.com", "alice@example.com", false)
	w.alias("to-dave@example.com", "dave@example.com", true)
	w.alias("to-ghost@example.com", "ghost@example.com", true)
	w.alias("to-unrouted@example.com", "no@routed.test", true)
	w.alias("crew@example.com", "team@example.com", true)
	// hop1 → hop2 → … → hop11 → alice: eleven aliases in a row.
	for i := 1; i <= 11; i++ {
		target := "alice@example.com"
		if i < 11 {
			target = hop(i + 1)
		}
		w.alias(hop(i), target, true)
	}

	w.list(store.List{Address: "team@example.com", Active: true, Mode: store.ListPublic},
		"alice@example.com", "bob@example.com", "dave@example.com", "ghost@example.com", "info@example.com",
		"partner@external.org", "staff@example.com", "BOB@example.net")
	w.list(store.List{Address: "staff@example.com", Active: true, Mode: store.ListPublic},
		"carol@example.com", "team@example.com", "bob@example.com")
	w.list(store.List{Address: "members-only@example.com", Active: true, Mode: store.ListMembership},
		"alice@example.com", "bob@example.net", "outsider@external.org")
	w.list(store.List{Address: "news@example.com", Active: true, Mode: store.ListAnnouncements, AnnouncerAddress: "Boss@example.net"},
		"alice@example.com", "bob@example.com")
	w.list(store.List{Address: "auth-only@example.com", Active: true, Mode: store.ListPublic, RequireSMTPAuth: true},
		"carol@example.com")
	w.list(store.List{Address: "closed@example.com", Active: false, Mode: store.ListPublic}, "alice@example.com")
	w.list(store.List{Address: "hollow@example.com", Active: true, Mode: store.ListPublic}, "ghost@example.com", "dave@example.com")

	// Plus addressing off, and on with each allowed separator.
	w.domain(store.Domain{Name: "plus-off.test", Active: true, PlusAddressing: false, PlusAddressingChar: "+"})
	w.account("user@plus-off.test", true)
	for _, p := range plusDomains {
		w.domain(store.Domain{Name: p.domain, Active: true, PlusAddressing: true, PlusAddressingChar: p.char})
		w.account("user@"+p.domain, true)
	}

	// Catch-all addresses.
	w.domain(store.Domain{Name: "catchall.test", Active: true, CatchAllAddress: "alice@example.com"})
	w.account("real@catchall.test", true)
	w.domain(store.Domain{Name: "lost.test", Active: true, CatchAllAddress: "nobody@lost.test"})
	w.domain(store.Domain{Name: "ping.test", Active: true, CatchAllAddress: "x@pong.test"})
	w.domain(store.Domain{Name: "pong.test", Active: true, CatchAllAddress: "y@ping.test"})
	w.domain(store.Domain{Name: "deep.test", Active: true, CatchAllAddress: hop(2)}) // 1 + 10 hops

	w.domain(store.Domain{Name: "disabled.test", Active: false})
	w.account("x@disabled.test", true)

	w.route(store.Route{Domain: "routed.test", AllAddresses: false, Addresses: []string{"ok@routed.test"}, TreatRecipientAsLocal: true})
	w.route(store.Route{Domain: "*.wild.test", AllAddresses: true, TreatSenderAsLocal: true})
	w.route(store.Route{Domain: "mx?.q.test", AllAddresses: true, TreatRecipientAsLocal: true, TreatSenderAsLocal: true})
	return w
}

func hop(i int) string {
	return "hop" + string(rune('a'+i-1)) + "@example.com"
}

// plusDomains are the domains with plus addressing on, one per separator
// the manual allows.
var plusDomains = []struct{ domain, char string }{
	{"plus-plus.test", "+"},
	{"plus-dash.test", "-"},
	{"plus-underscore.test", "_"},
	{"plus-percent.test", "%"},
}
