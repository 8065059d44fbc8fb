package store

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"sort"
	"strconv"
	"strings"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Migration is one numbered schema step, rendered for one engine.
type Migration struct {
	Version    int
	Name       string
	Statements []string
}

// Migrations returns the schema steps for a dialect in version order. A file
// "NNNN_name.sql" serves every engine; "NNNN_name.<dialect>.sql" replaces it
// for that engine alone, keeping the version numbers alike everywhere.
func (d *Dialect) Migrations() ([]Migration, error) {
	entries, err := fs.ReadDir(migrationFiles, "migrations")
	if err != nil {
		return nil, err
	}
	byVersion := map[int]Migration{}
	specific := map[int]bool{}
	for _, e := range entries {
		base := strings.TrimSuffix(e.Name(), ".sql")
		dialect := ""
		if i := strings.IndexByte(base, '.'); i >= 0 {
			base, dialect = base[:i], base[i+1:]
			if _, err := LookupDialect(dialect); err != nil {
				return nil, fmt.Errorf("store: migration %s: %w", e.Name(), err)
			}
			if dialect != d.Name {
				continue
			}
		} else if specific[versionOf(base)] {
			continue
		}
		num, name, ok := strings.Cut(base, "_")
		version, err := strconv.Atoi(num)
		if !ok || err != nil || version <= 0 {
			return nil, fmt.Errorf("store: migration file %q is not named NNNN_name.sql", e.Name())
		}
		text, err := migrationFiles.ReadFile("migrations/" + e.Name())
		if err != nil {
			return nil, err
		}
		stmts, err := d.splitStatements(string(text))
		if err != nil {
			return nil, fmt.Errorf("store: migration %s: %w", e.Name(), err)
		}
		if dialect != "" {
			specific[version] = true
		}
		byVersion[version] = Migration{Version: version, Name: name, Statements: stmts}
	}
	out := make([]Migration, 0, len(byVersion))
	for _, m := range byVersion {
		out = append(out, m)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Version < out[j].Version })
	for i, m := range out {
		if m.Version != i+1 {
			return nil, fmt.Errorf("store: migration versions must run 1, 2, 3...: %d is followed by %d", i, m.Version)
		}
	}
	return out, nil
}

func versionOf(base string) int {
	num, _, _ := strings.Cut(base, "_")
	v, _ := strconv.Atoi(num)
	return v
}

// splitStatements cuts a migration at lines holding only ";", drops comment
// lines and expands the type tokens.
func (d *Dialect) splitStatements(text string) ([]string, error) {
	var stmts []string
	var cur strings.Builder
	flush := func() error {
		stmt := strings.TrimSpace(cur.String())
		cur.Reset()
		if stmt == "" {
			return nil
		}
		expanded, err := d.ExpandTypes(stmt)
		if err != nil {
			return err
		}
		stmts = append(stmts, expanded)
		return nil
	}
	for line := range strings.Lines(text) {
		trimmed := strings.TrimSpace(line)
		switch {
		case trimmed == ";":
			if err := flush(); err != nil {
				return nil, err
			}
		case strings.HasPrefix(trimmed, "--"):
		default:
			cur.WriteString(line)
		}
	}
	if err := flush(); err != nil {
		return nil, err
	}
	return stmts, nil
}

// Migrate applies the schema steps not yet applied, each in its own
// transaction (MySQL commits DDL implicitly; the version row is written last
// so a failed step is retried whole). Running it again is a no-op.
func (s *Store) Migrate(ctx context.Context) error {
	migrations, err := s.dialect.Migrations()
	if err != nil {
		return err
	}
	create, _ := s.dialect.ExpandTypes("CREATE TABLE schema_migrations (version {int} NOT NULL PRIMARY KEY, name {name} NOT NULL, applied_at {bigint} NOT NULL)")
	if _, err := s.db.ExecContext(ctx, create); err != nil && !s.tableExists(ctx, "schema_migrations") {
		return fmt.Errorf("store: create schema_migrations: %w", err)
	}
	applied, err := s.SchemaVersion(ctx)
	if err != nil {
		return err
	}
	if applied > len(migrations) {
		return fmt.Errorf("store: the database is at schema version %d but this program knows only %d: use a newer Mailwright", applied, len(migrations))
	}
	for _, m := range migrations[applied:] {
		err := s.tx(ctx, func(tx *sql.Tx) error {
			for _, stmt := range m.Statements {
				if _, err := tx.ExecContext(ctx, stmt); err != nil {
					return fmt.Errorf("%w\n%s", err, stmt)
				}
			}
			if hook := afterMigration[m.Version]; hook != nil {
				if err := hook(s, ctx, tx); err != nil {
					return err
				}
			}
			_, err := s.exec(ctx, tx, "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)", m.Version, m.Name, s.unix())
			return err
		})
		if err != nil {
			return fmt.Errorf("store: migration %04d_%s on %s: %w", m.Version, m.Name, s.dialect.Name, err)
		}
	}
	return nil
}

// afterMigration holds data steps that run in a migration's transaction,
// after its statements.
var afterMigration = map[int]func(s *Store, ctx context.Context, tx *sql.Tx) error{
	1: (*Store).createDefaults,
}

// SchemaVersion is the highest migration applied.
func (s *Store) SchemaVersion(ctx context.Context) (int, error) {
	var v sql.NullInt64
	if err := s.db.QueryRowContext(ctx, "SELECT MAX(version) FROM schema_migrations").Scan(&v); err != nil {
		return 0, fmt.Errorf("store: read schema version: %w", err)
	}
	return int(v.Int64), nil
}

func (s *Store) tableExists(ctx context.Context, table string) bool {
	var n int
	err := s.db.QueryRowContext(ctx, "SELECT COUNT(*) FROM "+table).Scan(&n)
	return err == nil
}
