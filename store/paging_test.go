package store

import (
	"context"
	"fmt"
	"testing"
)

func TestAliasesPageAndFilter(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		d := mustDomain(t, s, Domain{Name: "example.com"})
		other := mustDomain(t, s, Domain{Name: "example.org"})
		for i := range 25 {
			if _, err := s.CreateAlias(ctx, Alias{Address: fmt.Sprintf("alias%02d@example.com", i), Target: "t@example.net", Active: true}); err != nil {
				t.Fatal(err)
			}
		}
		for _, a := range []Alias{
			{Address: "al_as@example.com", Target: "t@example.net"},
			{Address: "alias99@example.org", Target: "t@example.net"},
		} {
			if _, err := s.CreateAlias(ctx, a); err != nil {
				t.Fatal(err)
			}
		}
		page, total, err := s.AliasesPage(ctx, d.ID, "", 10, 20)
		if err != nil {
			t.Fatal(err)
		}
		// "al_as" sorts before "alias00", so the third page starts at alias19.
		if total != 26 || len(page) != 6 || page[0].Address != "alias19@example.com" {
			t.Fatalf("page 3 of 10: total %d, %d rows, %v", total, len(page), page)
		}
		page, total, _ = s.AliasesPage(ctx, d.ID, "ALIAS1", 100, 0)
		if total != 10 || len(page) != 10 || page[0].Address != "alias10@example.com" {
			t.Errorf("filter alias1 matched %d (%d rows)", total, len(page))
		}
		page, total, _ = s.AliasesPage(ctx, d.ID, "_", 100, 0)
		if total != 1 || len(page) != 1 || page[0].Address != "al_as@example.com" {
			t.Errorf("filter _ is a wildcard: matched %d (%v)", total, page)
		}
		page, total, _ = s.AliasesPage(ctx, other.ID, "", 0, 0)
		if total != 1 || len(page) != 1 {
			t.Errorf("other domain: %d, %v", total, page)
		}
	})
}
