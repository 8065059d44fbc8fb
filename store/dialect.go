package store

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"
)

// Dialect is what differs between the four SQL engines. Everything else is
// one SQL text written with ? placeholders and the type tokens below.
type Dialect struct {
	// Name is the configuration name: sqlite, pgsql, mysql or mssql.
	Name string
	// Driver is the database/sql driver name.
	Driver string
	// types maps the schema's type tokens ({id}, {name}, ...) to this engine's types.
	types map[string]string
	// placeholder renders the n-th (1-based) bind parameter.
	placeholder func(n int) string
	// returningID is how an INSERT hands back the new id: "returning", "output" or "lastinsertid".
	returningID string
	// duplicateKey recognises a unique-constraint violation in a driver error text.
	duplicateKey []string
}

// Type tokens used in migrations. One schema text serves every engine.
//
//	{id}      auto-increment primary key
//	{ref}     a column holding another table's id
//	{name}    short text (addresses, names): 255 characters
//	{key}     a lower-cased copy of a {name}, compared byte for byte: the
//	          unique keys. Lower-casing happens in Go, the same on every engine.
//	{text}    long text, never indexed
//	{int}     32-bit integer, {bigint} 64-bit, {bool} 0/1
//	{blob}    bytes
var dialects = map[string]*Dialect{
	"sqlite": {
		Name: "sqlite", Driver: "sqlite",
		types: map[string]string{
			"{id}": "INTEGER PRIMARY KEY AUTOINCREMENT", "{ref}": "INTEGER",
			"{name}": "TEXT", "{key}": "TEXT", "{text}": "TEXT", "{int}": "INTEGER", "{bigint}": "INTEGER",
			"{bool}": "INTEGER", "{blob}": "BLOB",
		},
		placeholder:  func(int) string { return "?" },
		returningID:  "returning",
		duplicateKey: []string{"UNIQUE constraint failed", "constraint failed: UNIQUE"},
	},
	"pgsql": {
		Name: "pgsql", Driver: "pgx",
		types: map[string]string{
			"{id}": "BIGSERIAL PRIMARY KEY", "{ref}": "BIGINT",
			"{name}": "VARCHAR(255)", "{key}": "VARCHAR(255) COLLATE \"C\"", "{text}": "TEXT", "{int}": "INTEGER", "{bigint}": "BIGINT",
			"{bool}": "SMALLINT", "{blob}": "BYTEA",
		},
		placeholder:  func(n int) string { return "$" + strconv.Itoa(n) },
		returningID:  "returning",
		duplicateKey: []string{"SQLSTATE 23505"},
	},
	"mysql": {
		Name: "mysql", Driver: "mysql",
		types: map[string]string{
			"{id}": "BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY", "{ref}": "BIGINT",
			"{name}": "VARCHAR(255)", "{key}": "VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin", "{text}": "LONGTEXT", "{int}": "INT", "{bigint}": "BIGINT",
			"{bool}": "TINYINT", "{blob}": "LONGBLOB",
		},
		placeholder:  func(int) string { return "?" },
		returningID:  "lastinsertid",
		duplicateKey: []string{"Error 1062"},
	},
	"mssql": {
		Name: "mssql", Driver: "sqlserver",
		types: map[string]string{
			"{id}": "BIGINT IDENTITY(1,1) PRIMARY KEY", "{ref}": "BIGINT",
			"{name}": "NVARCHAR(255)", "{key}": "NVARCHAR(255) COLLATE Latin1_General_100_BIN2", "{text}": "NVARCHAR(MAX)", "{int}": "INT", "{bigint}": "BIGINT",
			"{bool}": "SMALLINT", "{blob}": "VARBINARY(MAX)",
		},
		placeholder:  func(n int) string { return "@p" + strconv.Itoa(n) },
		returningID:  "output",
		duplicateKey: []string{"Cannot insert duplicate key", "Violation of UNIQUE KEY", "Violation of PRIMARY KEY"},
	},
}

// LookupDialect returns the dialect for a configuration type name.
func LookupDialect(name string) (*Dialect, error) {
	d, ok := dialects[strings.ToLower(name)]
	if !ok {
		return nil, fmt.Errorf("store: unknown database type %q (want sqlite, pgsql, mysql or mssql)", name)
	}
	return d, nil
}

// Dialects lists the supported engines in a fixed order.
func Dialects() []*Dialect {
	return []*Dialect{dialects["sqlite"], dialects["pgsql"], dialects["mysql"], dialects["mssql"]}
}

// Rebind rewrites ? placeholders for this engine. Question marks inside
// single-quoted string literals are left alone.
func (d *Dialect) Rebind(query string) string {
	if d.placeholder(1) == "?" {
		return query
	}
	var b strings.Builder
	b.Grow(len(query) + 16)
	n, quoted := 0, false
	for i := 0; i < len(query); i++ {
		c := query[i]
		switch {
		case c == '\'':
			quoted = !quoted
			b.WriteByte(c)
		case c == '?' && !quoted:
			n++
			b.WriteString(d.placeholder(n))
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// ExpandTypes replaces the schema's type tokens with this engine's types and
// reports an error for any token left unknown.
func (d *Dialect) ExpandTypes(ddl string) (string, error) {
	for token, typ := range d.types {
		ddl = strings.ReplaceAll(ddl, token, typ)
	}
	if i := strings.IndexByte(ddl, '{'); i >= 0 {
		end := min(i+20, len(ddl))
		return "", fmt.Errorf("store: unknown type token near %q", ddl[i:end])
	}
	return ddl, nil
}

// Page appends this engine's paging clause to a query that already has an ORDER BY.
func (d *Dialect) Page(query string, limit, offset int) string {
	if d.Name == "mssql" {
		return fmt.Sprintf("%s OFFSET %d ROWS FETCH NEXT %d ROWS ONLY", query, offset, limit)
	}
	return fmt.Sprintf("%s LIMIT %d OFFSET %d", query, limit, offset)
}

// IsDuplicate reports whether err is a unique-constraint violation.
func (d *Dialect) IsDuplicate(err error) bool {
	if err == nil {
		return false
	}
	msg := err.Error()
	for _, s := range d.duplicateKey {
		if strings.Contains(msg, s) {
			return true
		}
	}
	return false
}

// queryer is what both *sql.DB and *sql.Tx offer.
type queryer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// insertQuery renders "INSERT INTO table (cols) VALUES (?...)" so that the
// new id comes back the way this engine offers it.
func (d *Dialect) insertQuery(table string, columns []string) string {
	marks := strings.TrimSuffix(strings.Repeat("?, ", len(columns)), ", ")
	cols := strings.Join(columns, ", ")
	switch d.returningID {
	case "output":
		return d.Rebind(fmt.Sprintf("INSERT INTO %s (%s) OUTPUT INSERTED.id VALUES (%s)", table, cols, marks))
	case "returning":
		return d.Rebind(fmt.Sprintf("INSERT INTO %s (%s) VALUES (%s) RETURNING id", table, cols, marks))
	default:
		return fmt.Sprintf("INSERT INTO %s (%s) VALUES (%s)", table, cols, marks)
	}
}

// insert runs an INSERT and returns the new row's id.
func (d *Dialect) insert(ctx context.Context, q queryer, table string, columns []string, args ...any) (int64, error) {
	query := d.insertQuery(table, columns)
	if d.returningID == "lastinsertid" {
		res, err := q.ExecContext(ctx, query, args...)
		if err != nil {
			return 0, err
		}
		return res.LastInsertId()
	}
	var id int64
	err := q.QueryRowContext(ctx, query, args...).Scan(&id)
	return id, err
}
