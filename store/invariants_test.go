package store

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mailwright/mailwright/store/messagefile"
)

// Each case tries to break one model rule of the manual and expects a
// validation error naming the field at fault.
func TestInvariants(t *testing.T) {
	ctx := context.Background()
	cases := []struct {
		name  string
		field string
		do    func(t *testing.T, s *Store) error
	}{
		{"domain_name_without_a_dot_is_refused", "name", func(t *testing.T, s *Store) error {
			_, err := s.CreateDomain(ctx, Domain{Name: "localhost", Active: true})
			return err
		}},
		{"domain_name_with_an_empty_label_is_refused", "name", func(t *testing.T, s *Store) error {
			_, err := s.CreateDomain(ctx, Domain{Name: "a..com"})
			return err
		}},
		{"domain_names_are_unique_case_insensitively", "name", func(t *testing.T, s *Store) error {
			mustDomain(t, s, Domain{Name: "Example.com"})
			_, err := s.CreateDomain(ctx, Domain{Name: "EXAMPLE.COM"})
			return err
		}},
		{"domain_alias_cannot_equal_a_primary_name", "name", func(t *testing.T, s *Store) error {
			mustDomain(t, s, Domain{Name: "example.com"})
			other := mustDomain(t, s, Domain{Name: "example.org"})
			_, err := s.AddDomainAlias(ctx, other.ID, "Example.COM")
			return err
		}},
		{"domain_alias_cannot_equal_its_own_primary_name", "name", func(t *testing.T, s *Store) error {
			d := mustDomain(t, s, Domain{Name: "example.com"})
			_, err := s.AddDomainAlias(ctx, d.ID, "example.com")
			return err
		}},
		{"domain_alias_belongs_to_one_domain_only", "name", func(t *testing.T, s *Store) error {
			a := mustDomain(t, s, Domain{Name: "example.com"})
			b := mustDomain(t, s, Domain{Name: "example.org"})
			if _, err := s.AddDomainAlias(ctx, a.ID, "example.net"); err != nil {
				t.Fatal(err)
			}
			_, err := s.AddDomainAlias(ctx, b.ID, "EXAMPLE.net")
			return err
		}},
		{"new_domain_cannot_take_an_alias_name", "name", func(t *testing.T, s *Store) error {
			a := mustDomain(t, s, Domain{Name: "example.com"})
			if _, err := s.AddDomainAlias(ctx, a.ID, "example.net"); err != nil {
				t.Fatal(err)
			}
			_, err := s.CreateDomain(ctx, Domain{Name: "example.net"})
			return err
		}},
		{"domain_alias_needs_a_dot", "name", func(t *testing.T, s *Store) error {
			a := mustDomain(t, s, Domain{Name: "example.com"})
			_, err := s.AddDomainAlias(ctx, a.ID, "examplenet")
			return err
		}},
		{"plus_addressing_character_outside_the_set_is_refused", "plus_addressing_char", func(t *testing.T, s *Store) error {
			_, err := s.CreateDomain(ctx, Domain{Name: "example.com", PlusAddressing: true, PlusAddressingChar: "#"})
			return err
		}},
		{"negative_domain_limit_is_refused", "max_accounts", func(t *testing.T, s *Store) error {
			_, err := s.CreateDomain(ctx, Domain{Name: "example.com", MaxAccounts: -1})
			return err
		}},
		{"account_in_a_domain_that_is_not_local_is_refused", "address", func(t *testing.T, s *Store) error {
			mustDomain(t, s, Domain{Name: "example.com"})
			_, err := s.CreateAccount(ctx, Account{Address: "a@elsewhere.com"}, "pw")
			return err
		}},
		{"account_under_a_domain_alias_name_is_refused", "address", func(t *testing.T, s *Store) error {
			d := mustDomain(t, s, Domain{Name: "example.com"})
			s.AddDomainAlias(ctx, d.ID, "example.net")
			_, err := s.CreateAccount(ctx, Account{Address: "a@example.net"}, "pw")
			return err
		}},
		{"account_addresses_are_unique_case_insensitively", "address", func(t *testing.T, s *Store) error {
			mustDomain(t, s, Domain{Name: "example.com"})
			mustAccount(t, s, "Öla@example.com", 0)
			_, err := s.CreateAccount(ctx, Account{Address: "öLA@EXAMPLE.com"}, "pw")
			return err
		}},
		{"account_address_must_be_an_address", "address", func(t *testing.T, s *Store) error {
			mustDomain(t, s, Domain{Name: "example.com"})
			_, err := s.CreateAccount(ctx, Account{Address: "no at sign"}, "pw")
			return err
		}},
		{"account_local_part_with_a_slash_is_refused", "address", func(t *testing.T, s *Store) error {
			mustDomain(t, s, Domain{Name: "example.com"})
			_, err := s.CreateAccount(ctx, Account{Address: "../x@example.com"}, "pw")
			return err
		}},
		{"empty_password_is_refused", "password", func(t *testing.T, s *Store) error {
			mustDomain(t, s, Domain{Name: "example.com"})
			_, err := s.CreateAccount(ctx, Account{Address: "a@example.com"}, "")
			return err
		}},
		{"empty_password_is_refused_on_change", "password", func(t *testing.T, s *Store) error {
			mustDomain(t, s, Domain{Name: "example.com"})
			a := mustAccount(t, s, "a@example.com", 0)
			return s.SetAccountPassword(ctx, a.ID, "")
		}},
		{"alias_cannot_take_an_account_address", "address", func(t *testing.T, s *Store) error {
			mustDomain(t, s, Domain{Name: "example.com"})
			mustAccount(t, s, "sales@example.com", 0)
			_, err := s.CreateAlias(ctx, Alias{Address: "SALES@example.com", Target: "x@example.org", Active: true})
			return err
		}},
		{"alias_cannot_take_a_list_address", "address", func(t *testing.T, s *Store) error {
			mustDomain(t, s, Domain{Name: "example.com"})
			if _, err := s.CreateList(ctx, List{Address: "all@example.com", Active: true}); err != nil {
				t.Fatal(err)
			}
			_, err := s.CreateAlias(ctx, Alias{Address: "all@example.com", Target: "x@example.org"})
			return err
		}},
		{"account_cannot_take_an_alias_address", "address", func(t *testing.T, s *Store) error {
			mustDomain(t, s, Domain{Name: "example.com"})
			if _, err := s.CreateAlias(ctx, Alias{Address: "info@example.com", Target: "x@example.org"}); err != nil {
				t.Fatal(err)
			}
			_, err := s.CreateAccount(ctx, Account{Address: "Info@example.com"}, "pw")
			return err
		}},
		{"list_cannot_take_an_account_address", "address", func(t *testing.T, s *Store) error {
			mustDomain(t, s, Domain{Name: "example.com"})
			mustAccount(t, s, "team@example.com", 0)
			_, err := s.CreateList(ctx, List{Address: "team@example.com"})
			return err
		}},
		{"alias_cannot_redirect_to_itself", "target", func(t *testing.T, s *Store) error {
			mustDomain(t, s, Domain{Name: "example.com"})
			_, err := s.CreateAlias(ctx, Alias{Address: "loop@example.com", Target: "LOOP@example.com"})
			return err
		}},
		{"announcement_list_needs_an_announcer", "announcer_address", func(t *testing.T, s *Store) error {
			mustDomain(t, s, Domain{Name: "example.com"})
			_, err := s.CreateList(ctx, List{Address: "news@example.com", Mode: ListAnnouncements})
			return err
		}},
		{"account_over_the_domains_max_account_size_is_refused", "max_size_mb", func(t *testing.T, s *Store) error {
			mustDomain(t, s, Domain{Name: "example.com", MaxAccountSizeMB: 100})
			_, err := s.CreateAccount(ctx, Account{Address: "a@example.com", MaxSizeMB: 101}, "pw")
			return err
		}},
		{"unlimited_account_in_a_domain_with_max_account_size_is_refused", "max_size_mb", func(t *testing.T, s *Store) error {
			mustDomain(t, s, Domain{Name: "example.com", MaxAccountSizeMB: 100})
			_, err := s.CreateAccount(ctx, Account{Address: "a@example.com"}, "pw")
			return err
		}},
		{"accounts_together_over_the_domains_max_size_are_refused", "max_size_mb", func(t *testing.T, s *Store) error {
			mustDomain(t, s, Domain{Name: "example.com", MaxSizeMB: 500})
			mustAccount(t, s, "a@example.com", 300)
			_, err := s.CreateAccount(ctx, Account{Address: "b@example.com", MaxSizeMB: 201}, "pw")
			return err
		}},
		{"growing_an_account_over_the_domains_max_size_is_refused", "max_size_mb", func(t *testing.T, s *Store) error {
			mustDomain(t, s, Domain{Name: "example.com", MaxSizeMB: 500})
			a := mustAccount(t, s, "a@example.com", 300)
			mustAccount(t, s, "b@example.com", 200)
			a.MaxSizeMB = 301
			return s.UpdateAccount(ctx, a)
		}},
		{"max_accounts_per_domain_is_enforced", "address", func(t *testing.T, s *Store) error {
			mustDomain(t, s, Domain{Name: "example.com", MaxAccounts: 2})
			mustAccount(t, s, "a@example.com", 0)
			mustAccount(t, s, "b@example.com", 0)
			_, err := s.CreateAccount(ctx, Account{Address: "c@example.com"}, "pw")
			return err
		}},
		{"max_aliases_per_domain_is_enforced", "address", func(t *testing.T, s *Store) error {
			mustDomain(t, s, Domain{Name: "example.com", MaxAliases: 1})
			if _, err := s.CreateAlias(ctx, Alias{Address: "a@example.com", Target: "x@example.org"}); err != nil {
				t.Fatal(err)
			}
			_, err := s.CreateAlias(ctx, Alias{Address: "b@example.com", Target: "x@example.org"})
			return err
		}},
		{"max_lists_per_domain_is_enforced", "address", func(t *testing.T, s *Store) error {
			mustDomain(t, s, Domain{Name: "example.com", MaxLists: 1})
			if _, err := s.CreateList(ctx, List{Address: "a@example.com"}); err != nil {
				t.Fatal(err)
			}
			_, err := s.CreateList(ctx, List{Address: "b@example.com"})
			return err
		}},
		{"account_address_cannot_change", "address", func(t *testing.T, s *Store) error {
			mustDomain(t, s, Domain{Name: "example.com"})
			a := mustAccount(t, s, "a@example.com", 0)
			a.Address = "b@example.com"
			return s.UpdateAccount(ctx, a)
		}},
		{"ip_range_priority_above_1000_is_refused", "priority", func(t *testing.T, s *Store) error {
			r := DefaultIPRanges()[0]
			r.Priority = 1001
			_, err := s.CreateIPRange(ctx, r)
			return err
		}},
		{"ip_range_upper_below_lower_is_refused", "upper_ip", func(t *testing.T, s *Store) error {
			r := DefaultIPRanges()[2]
			r.Lower, r.Upper = r.Upper, r.Lower
			_, err := s.CreateIPRange(ctx, r)
			return err
		}},
		{"ip_range_name_over_40_characters_is_refused", "name", func(t *testing.T, s *Store) error {
			r := DefaultIPRanges()[0]
			r.Name = strings.Repeat("x", 41)
			_, err := s.CreateIPRange(ctx, r)
			return err
		}},
		{"port_out_of_range_is_refused", "port", func(t *testing.T, s *Store) error {
			ports, _ := s.Ports(ctx)
			p := ports[0]
			p.Port = 70000
			_, err := s.CreatePort(ctx, p)
			return err
		}},
		{"same_address_and_port_twice_is_refused", "port", func(t *testing.T, s *Store) error {
			ports, _ := s.Ports(ctx)
			_, err := s.CreatePort(ctx, ports[0])
			return err
		}},
		{"certificate_in_use_cannot_be_deleted", "id", func(t *testing.T, s *Store) error {
			c, err := s.CreateCertificate(ctx, Certificate{Name: "main", CertificateFile: "/c.pem", PrivateKeyFile: "/k.pem"})
			if err != nil {
				t.Fatal(err)
			}
			ports, _ := s.Ports(ctx)
			p := ports[0]
			p.Port, p.Security, p.CertificateID = 465, SecurityTLS, c.ID
			if _, err := s.CreatePort(ctx, p); err != nil {
				t.Fatal(err)
			}
			return s.DeleteCertificate(ctx, c.ID)
		}},
		{"unknown_setting_is_refused", "name", func(t *testing.T, s *Store) error {
			return s.SetSetting(ctx, "NoSuchSetting", "1")
		}},
		{"setting_value_of_the_wrong_kind_is_refused", "MaxSMTPConnections", func(t *testing.T, s *Store) error {
			return s.SetSetting(ctx, "MaxSMTPConnections", "many")
		}},
	}
	forEachStore(t, func(t *testing.T, s *Store) {
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				// Each case starts from an empty set of domains.
				cleanDomains(t, s)
				wantValidation(t, c.do(t, s), c.field)
			})
		}
	})
}

func cleanDomains(t *testing.T, s *Store) {
	t.Helper()
	ds, err := s.Domains(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range ds {
		if err := s.DeleteDomain(context.Background(), d.ID); err != nil {
			t.Fatal(err)
		}
	}
}

func TestDeletingADomainDeletesItsObjectsAndMessageFiles(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		d := mustDomain(t, s, Domain{Name: "example.com"})
		keep := mustDomain(t, s, Domain{Name: "example.org"})
		if _, err := s.AddDomainAlias(ctx, d.ID, "example.net"); err != nil {
			t.Fatal(err)
		}
		a := mustAccount(t, s, "user@example.com", 0)
		other := mustAccount(t, s, "user@example.org", 0)
		if _, err := s.CreateAlias(ctx, Alias{Address: "info@example.com", Target: "user@example.com"}); err != nil {
			t.Fatal(err)
		}
		l, err := s.CreateList(ctx, List{Address: "all@example.com"})
		if err != nil {
			t.Fatal(err)
		}
		if err := s.AddListMember(ctx, l.ID, "user@example.com"); err != nil {
			t.Fatal(err)
		}
		g, _ := s.CreateGroup(ctx, "staff")
		if err := s.AddGroupMember(ctx, g.ID, a.ID); err != nil {
			t.Fatal(err)
		}
		deleted := storeMessage(t, s, a)
		kept := storeMessage(t, s, other)

		if err := s.DeleteDomain(ctx, d.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Domain(ctx, d.ID); !errors.Is(err, ErrNotFound) {
			t.Errorf("domain still there: %v", err)
		}
		if _, err := s.AccountByAddress(ctx, "user@example.com"); !errors.Is(err, ErrNotFound) {
			t.Errorf("account still there: %v", err)
		}
		if _, err := s.AliasByAddress(ctx, "info@example.com"); !errors.Is(err, ErrNotFound) {
			t.Errorf("alias still there: %v", err)
		}
		if _, err := s.ListByAddress(ctx, "all@example.com"); !errors.Is(err, ErrNotFound) {
			t.Errorf("list still there: %v", err)
		}
		if _, err := s.DomainByName(ctx, "example.net"); !errors.Is(err, ErrNotFound) {
			t.Errorf("domain alias still there: %v", err)
		}
		if m, _ := s.GroupMembers(ctx, g.ID); len(m) != 0 {
			t.Errorf("group still holds %v", m)
		}
		for table, n := range map[string]int{"messages": 1, "imap_folders": 5, "addresses": 1, "domain_names": 1, "distribution_list_members": 0} {
			got, err := s.count(ctx, s.db, "SELECT COUNT(*) FROM "+table)
			if err != nil || got != n {
				t.Errorf("%s has %d rows (%v), want %d (the other domain's)", table, got, err, n)
			}
		}
		if _, err := os.Stat(filepath.Join(s.files.Root(), filepath.FromSlash(deleted))); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("message file %s of the deleted domain is still there (%v)", deleted, err)
		}
		if _, err := os.Stat(filepath.Join(s.files.Root(), "example.com")); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("domain directory still there (%v)", err)
		}
		if _, err := os.Stat(filepath.Join(s.files.Root(), filepath.FromSlash(kept))); err != nil {
			t.Errorf("the other domain's message file is gone: %v", err)
		}
		// The names are free again.
		if _, err := s.CreateDomain(ctx, Domain{Name: "example.net"}); err != nil {
			t.Errorf("the freed alias name cannot be reused: %v", err)
		}
		_ = keep
	})
}

// storeMessage writes a small message file into an account's INBOX.
func storeMessage(t *testing.T, s *Store, a Account) string {
	t.Helper()
	ctx := context.Background()
	inbox, err := s.Inbox(ctx, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	rel, err := AccountMessagePath(a.Address, messagefile.NewID())
	if err != nil {
		t.Fatal(err)
	}
	n, err := s.files.Write(rel, strings.NewReader("Subject: hi\r\n\r\nhello\r\n"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.AddToFolder(ctx, StoredMessage{AccountID: a.ID, FolderID: inbox.ID, Path: rel, Size: n}); err != nil {
		t.Fatal(err)
	}
	return rel
}
