package store

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"testing"
)

func TestMigrationsHaveTheSameVersionsInEveryDialect(t *testing.T) {
	var want []int
	for _, d := range Dialects() {
		ms, err := d.Migrations()
		if err != nil {
			t.Fatalf("%s: %v", d.Name, err)
		}
		var versions []int
		for _, m := range ms {
			versions = append(versions, m.Version)
			if len(m.Statements) == 0 {
				t.Errorf("%s: migration %d has no statements", d.Name, m.Version)
			}
		}
		if want == nil {
			want = versions
			continue
		}
		if !slices.Equal(versions, want) {
			t.Errorf("%s has migrations %v, sqlite has %v", d.Name, versions, want)
		}
	}
	if len(want) == 0 {
		t.Fatal("no migrations found")
	}
}

func TestSQLServerDialectRendersItsOwnSQL(t *testing.T) {
	d, err := LookupDialect("mssql")
	if err != nil {
		t.Fatal(err)
	}
	ms, err := d.Migrations()
	if err != nil {
		t.Fatal(err)
	}
	all := ""
	for _, m := range ms {
		all += strings.Join(m.Statements, "\n")
	}
	for _, want := range []string{"BIGINT IDENTITY(1,1) PRIMARY KEY", "NVARCHAR(MAX)", "COLLATE Latin1_General_100_BIN2"} {
		if !strings.Contains(all, want) {
			t.Errorf("SQL Server schema lacks %q", want)
		}
	}
	for _, bad := range []string{"AUTOINCREMENT", "AUTO_INCREMENT", "BIGSERIAL", "LONGTEXT", "{", "}"} {
		if strings.Contains(all, bad) {
			t.Errorf("SQL Server schema contains %q", bad)
		}
	}
	cases := []struct{ name, got, want string }{
		{"placeholders become @pN", d.Rebind("SELECT a FROM t WHERE b = ? AND c = '?' AND d = ?"), "SELECT a FROM t WHERE b = @p1 AND c = '?' AND d = @p2"},
		{"paging uses OFFSET FETCH", d.Page("SELECT a FROM t ORDER BY a", 10, 20), "SELECT a FROM t ORDER BY a OFFSET 20 ROWS FETCH NEXT 10 ROWS ONLY"},
		{"insert returns the id with OUTPUT", d.insertQuery("t", []string{"a", "b"}), "INSERT INTO t (a, b) OUTPUT INSERTED.id VALUES (@p1, @p2)"},
	}
	for _, c := range cases {
		if c.got != c.want {
			t.Errorf("%s: got %q, want %q", c.name, c.got, c.want)
		}
	}
	if !d.IsDuplicate(errString("mssql: Cannot insert duplicate key row in object 'dbo.accounts' with unique index 'accounts_address_lower'.")) {
		t.Error("a SQL Server duplicate key error is not recognised")
	}
}

type errString string

func (e errString) Error() string { return string(e) }

func TestOtherDialectsRenderPlaceholdersAndInserts(t *testing.T) {
	cases := []struct{ dialect, rebind, insert string }{
		{"sqlite", "a = ? AND b = ?", "INSERT INTO t (a, b) VALUES (?, ?) RETURNING id"},
		{"pgsql", "a = $1 AND b = $2", "INSERT INTO t (a, b) VALUES ($1, $2) RETURNING id"},
		{"mysql", "a = ? AND b = ?", "INSERT INTO t (a, b) VALUES (?, ?)"},
	}
	for _, c := range cases {
		d, _ := LookupDialect(c.dialect)
		if got := d.Rebind("a = ? AND b = ?"); got != c.rebind {
			t.Errorf("%s rebind: got %q, want %q", c.dialect, got, c.rebind)
		}
		if got := d.insertQuery("t", []string{"a", "b"}); got != c.insert {
			t.Errorf("%s insert: got %q, want %q", c.dialect, got, c.insert)
		}
	}
	if _, err := LookupDialect("oracle"); err == nil {
		t.Error("an unknown database type was accepted")
	}
}

func TestMigratingTwiceIsANoOp(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		before, err := s.SchemaVersion(ctx)
		if err != nil {
			t.Fatal(err)
		}
		ms, _ := s.dialect.Migrations()
		if before != len(ms) {
			t.Fatalf("schema version %d after open, want %d", before, len(ms))
		}
		ranges, _ := s.IPRanges(ctx)
		if err := s.Migrate(ctx); err != nil {
			t.Fatalf("second migrate: %v", err)
		}
		after, _ := s.SchemaVersion(ctx)
		again, _ := s.IPRanges(ctx)
		if after != before || len(again) != len(ranges) {
			t.Fatalf("second migrate changed things: version %d→%d, IP ranges %d→%d", before, after, len(ranges), len(again))
		}
		rows, err := s.count(ctx, s.db, "SELECT COUNT(*) FROM schema_migrations")
		if err != nil || rows != len(ms) {
			t.Fatalf("schema_migrations has %d rows (%v), want %d", rows, err, len(ms))
		}
	})
}

func TestFirstStartCreatesHMailServerDefaults(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		ranges, err := s.IPRanges(ctx)
		if err != nil {
			t.Fatal(err)
		}
		byName := map[string]IPRange{}
		for _, r := range ranges {
			byName[r.Name] = r
		}
		my, internet := byName["My computer"], byName["Internet"]
		if my.Priority != 30 || my.Lower.String() != "127.0.0.1" || my.Upper.String() != "127.0.0.1" {
			t.Errorf("My computer = %+v", my)
		}
		if internet.Priority != 10 || internet.Lower.String() != "0.0.0.0" || internet.Upper.String() != "255.255.255.255" {
			t.Errorf("Internet = %+v", internet)
		}
		if v6 := byName["Internet (IPv6)"]; v6.Lower.String() != "::" || v6.Priority != 10 {
			t.Errorf("Internet (IPv6) = %+v", v6)
		}
		all := Deliveries{true, true, true, true}
		if my.Allow != all || internet.Allow != all {
			t.Errorf("default ranges do not allow every delivery: %+v %+v", my.Allow, internet.Allow)
		}
		if (my.Require != Deliveries{ExternalToExternal: true}) {
			t.Errorf("My computer requires auth for %+v, want only external-to-external", my.Require)
		}
		if (internet.Require != Deliveries{LocalToLocal: true, LocalToExternal: true, ExternalToExternal: true}) {
			t.Errorf("Internet requires auth for %+v, want L2L, L2E and E2E", internet.Require)
		}
		for _, r := range ranges {
			if !r.AllowSMTP || !r.AllowPOP3 || !r.AllowIMAP || !r.AntiSpam || !r.AntiVirus {
				t.Errorf("%s: protocols or anti-spam/anti-virus off: %+v", r.Name, r)
			}
		}
		ports, err := s.Ports(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, p := range ports {
			got = append(got, p.Protocol+"/"+p.Address.String()+":"+strconv.Itoa(p.Port))
		}
		want := []string{"smtp/0.0.0.0:25", "pop3/0.0.0.0:110", "imap/0.0.0.0:143", "smtp/0.0.0.0:587"}
		if !slices.Equal(got, want) {
			t.Errorf("ports %v, want %v", got, want)
		}
		text, err := s.ServerMessageText(ctx, "MESSAGE_UNDELIVERABLE")
		if err != nil || text != "Message undeliverable" {
			t.Errorf("MESSAGE_UNDELIVERABLE = %q, %v", text, err)
		}
		msgs, _ := s.ServerMessages(ctx)
		if len(msgs) != len(defaultServerMessages) {
			t.Errorf("%d server messages, want %d", len(msgs), len(defaultServerMessages))
		}
	})
}
