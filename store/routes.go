package store

import (
	"context"
	"database/sql"
	"strings"
)

// ConnectionSecurity is how a listener or an outbound connection uses TLS.
type ConnectionSecurity int

const (
	SecurityNone              ConnectionSecurity = 0
	SecurityTLS               ConnectionSecurity = 1 // implicit TLS from the first byte
	SecuritySTARTTLSOptional  ConnectionSecurity = 2
	SecuritySTARTTLSRequired  ConnectionSecurity = 3
	maxConnectionSecurityCode                    = 3
)

func validSecurity(field string, c ConnectionSecurity) error {
	if c < 0 || c > maxConnectionSecurityCode {
		return invalid(field, "must be 0 (none), 1 (TLS), 2 (STARTTLS optional) or 3 (STARTTLS required), not %d", c)
	}
	return nil
}

// Route sends mail for a domain to a given host (manual: Routes).
type Route struct {
	ID                    int64
	Domain                string // may hold wildcards * and ?
	Description           string
	TargetHost            string
	TargetPort            int
	Security              ConnectionSecurity
	Tries                 int
	MinutesBetween        int
	TreatSenderAsLocal    bool
	TreatRecipientAsLocal bool
	RequiresAuth          bool
	Username              string
	Password              string
	AllAddresses          bool     // deliver to all addresses of the domain, or only Addresses
	Addresses             []string // the route's address list
}

const routeColumns = `id, domain_name, description, target_host, target_port, connection_security, tries, minutes_between,
	treat_sender_as_local, treat_recipient_as_local, requires_auth, username, password, all_addresses`

var routeWritable = []string{"domain_name", "domain_name_lower", "description", "target_host", "target_port", "connection_security", "tries",
	"minutes_between", "treat_sender_as_local", "treat_recipient_as_local", "requires_auth", "username", "password", "all_addresses"}

func (r *Route) validate() error {
	// A route's domain may hold the wildcards * and ?; what is left must
	// still read as a domain name.
	if err := ValidateDomainName("domain", strings.NewReplacer("*", "w", "?", "w").Replace(r.Domain)); err != nil {
		return err
	}
	if strings.TrimSpace(r.TargetHost) == "" {
		return invalid("target_host", "a route needs a target host")
	}
	if r.TargetPort < 1 || r.TargetPort > 65535 {
		return invalid("target_port", "must be between 1 and 65535, not %d", r.TargetPort)
	}
	if err := validSecurity("security", r.Security); err != nil {
		return err
	}
	if r.Tries < 0 || r.MinutesBetween < 0 {
		return invalid("tries", "retries and minutes between them cannot be negative")
	}
	if r.RequiresAuth && r.Username == "" {
		return invalid("username", "a route with authentication needs a user name")
	}
	for _, a := range r.Addresses {
		if _, _, err := SplitAddress("addresses", a); err != nil {
			return err
		}
	}
	return nil
}

func (r Route) values() []any {
	return []any{r.Domain, Lower(r.Domain), r.Description, r.TargetHost, r.TargetPort, int(r.Security), r.Tries, r.MinutesBetween,
		boolInt(r.TreatSenderAsLocal), boolInt(r.TreatRecipientAsLocal), boolInt(r.RequiresAuth), r.Username, r.Password, boolInt(r.AllAddresses)}
}

// CreateRoute adds a route with its address list.
func (s *Store) CreateRoute(ctx context.Context, r Route) (Route, error) {
	if err := r.validate(); err != nil {
		return Route{}, err
	}
	defer s.invalidateRoutes()
	err := s.tx(ctx, func(tx *sql.Tx) error {
		id, err := s.dialect.insert(ctx, tx, "routes", routeWritable, r.values()...)
		if err != nil {
			return s.duplicate(err, "domain", "a route for %s already exists", r.Domain)
		}
		r.ID = id
		return s.writeRouteAddresses(ctx, tx, r)
	})
	return r, err
}

func (s *Store) writeRouteAddresses(ctx context.Context, tx *sql.Tx, r Route) error {
	if _, err := s.exec(ctx, tx, "DELETE FROM route_addresses WHERE route_id = ?", r.ID); err != nil {
		return err
	}
	for _, a := range r.Addresses {
		if _, err := s.dialect.insert(ctx, tx, "route_addresses", []string{"route_id", "address", "address_lower"}, r.ID, a, Lower(a)); err != nil {
			return s.duplicate(err, "addresses", "%s is listed twice", a)
		}
	}
	return nil
}

// UpdateRoute saves a route and replaces its address list.
func (s *Store) UpdateRoute(ctx context.Context, r Route) error {
	if err := r.validate(); err != nil {
		return err
	}
	defer s.invalidateRoutes()
	return s.tx(ctx, func(tx *sql.Tx) error {
		res, err := s.exec(ctx, tx, "UPDATE routes SET "+strings.Join(routeWritable, " = ?, ")+" = ? WHERE id = ?", append(r.values(), r.ID)...)
		if err != nil {
			return s.duplicate(err, "domain", "a route for %s already exists", r.Domain)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrNotFound
		}
		return s.writeRouteAddresses(ctx, tx, r)
	})
}

// DeleteRoute deletes a route and its address list.
func (s *Store) DeleteRoute(ctx context.Context, id int64) error {
	defer s.invalidateRoutes()
	return s.tx(ctx, func(tx *sql.Tx) error {
		if _, err := s.exec(ctx, tx, "DELETE FROM route_addresses WHERE route_id = ?", id); err != nil {
			return err
		}
		res, err := s.exec(ctx, tx, "DELETE FROM routes WHERE id = ?", id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrNotFound
		}
		return nil
	})
}

// Routes lists all routes with their addresses.
func (s *Store) Routes(ctx context.Context) ([]Route, error) {
	rows, err := s.query(ctx, s.db, "SELECT "+routeColumns+" FROM routes ORDER BY domain_name_lower")
	if err != nil {
		return nil, err
	}
	var out []Route
	for rows.Next() {
		var r Route
		if err := rows.Scan(&r.ID, &r.Domain, &r.Description, &r.TargetHost, &r.TargetPort, &r.Security, &r.Tries, &r.MinutesBetween,
			&r.TreatSenderAsLocal, &r.TreatRecipientAsLocal, &r.RequiresAuth, &r.Username, &r.Password, &r.AllAddresses); err != nil {
			rows.Close()
			return nil, err
		}
		out = append(out, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for i := range out {
		if out[i].Addresses, err = s.stringColumn(ctx, s.db, "SELECT address FROM route_addresses WHERE route_id = ? ORDER BY address_lower", out[i].ID); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// Route returns one route with its addresses.
func (s *Store) Route(ctx context.Context, id int64) (Route, error) {
	routes, err := s.Routes(ctx)
	if err != nil {
		return Route{}, err
	}
	for _, r := range routes {
		if r.ID == id {
			return r, nil
		}
	}
	return Route{}, ErrNotFound
}
