package store

import (
	"context"
	"database/sql"
	"errors"
	"net/netip"
	"strings"
	"unicode/utf8"
)

// Deliveries is a relay matrix: local-to-local, local-to-external,
// external-to-local and external-to-external (manual: IP ranges).
type Deliveries struct {
	LocalToLocal, LocalToExternal, ExternalToLocal, ExternalToExternal bool
}

// IPRange is a range of client addresses and what they may do.
type IPRange struct {
	ID        int64
	Name      string
	Priority  int
	Lower     netip.Addr
	Upper     netip.Addr
	Expires   bool
	ExpiresAt int64
	AllowSMTP bool
	AllowPOP3 bool
	AllowIMAP bool
	Allow     Deliveries // deliveries allowed
	Require   Deliveries // deliveries that need SMTP authentication
	AntiSpam  bool
	AntiVirus bool
}

// Contains reports whether ip is in the range.
func (r IPRange) Contains(ip netip.Addr) bool {
	ip = ip.Unmap()
	return ip.BitLen() == r.Lower.BitLen() && r.Lower.Compare(ip) <= 0 && ip.Compare(r.Upper) <= 0
}

const ipRangeColumns = `id, name, priority, lower_ip, upper_ip, expires, expires_at, allow_smtp, allow_pop3, allow_imap,
	allow_l2l, allow_l2e, allow_e2l, allow_e2e, require_auth_l2l, require_auth_l2e, require_auth_e2l, require_auth_e2e, antispam, antivirus`

func scanIPRange(row interface{ Scan(...any) error }) (IPRange, error) {
	var r IPRange
	var lower, upper string
	err := row.Scan(&r.ID, &r.Name, &r.Priority, &lower, &upper, &r.Expires, &r.ExpiresAt, &r.AllowSMTP, &r.AllowPOP3, &r.AllowIMAP,
		&r.Allow.LocalToLocal, &r.Allow.LocalToExternal, &r.Allow.ExternalToLocal, &r.Allow.ExternalToExternal,
		&r.Require.LocalToLocal, &r.Require.LocalToExternal, &r.Require.ExternalToLocal, &r.Require.ExternalToExternal,
		&r.AntiSpam, &r.AntiVirus)
	if errors.Is(err, sql.ErrNoRows) {
		return r, ErrNotFound
	}
	if err != nil {
		return r, err
	}
	if r.Lower, err = netip.ParseAddr(lower); err != nil {
		return r, err
	}
	r.Upper, err = netip.ParseAddr(upper)
	return r, err
}

func (r *IPRange) validate() error {
	r.Name = strings.TrimSpace(r.Name)
	// The manual: "Any text between 1 and 40 characters"; priority "between 0 and 1000".
	if n := utf8.RuneCountInString(r.Name); n < 1 || n > 40 {
		return invalid("name", "an IP range needs a name of 1 to 40 characters")
	}
	if r.Priority < 0 || r.Priority > 1000 {
		return invalid("priority", "must be between 0 and 1000, not %d", r.Priority)
	}
	if !r.Lower.IsValid() {
		return invalid("lower_ip", "a lower IP address is required")
	}
	if !r.Upper.IsValid() {
		return invalid("upper_ip", "an upper IP address is required")
	}
	r.Lower, r.Upper = r.Lower.Unmap().WithZone(""), r.Upper.Unmap().WithZone("")
	if r.Lower.BitLen() != r.Upper.BitLen() {
		return invalid("upper_ip", "%s and %s are not both IPv4 or both IPv6", r.Lower, r.Upper)
	}
	if r.Upper.Less(r.Lower) {
		return invalid("upper_ip", "%s is below the lower address %s", r.Upper, r.Lower)
	}
	if r.Expires && r.ExpiresAt <= 0 {
		return invalid("expires_at", "an expiring IP range needs an expiry time")
	}
	return nil
}

func (r IPRange) values() []any {
	return []any{r.Name, r.Priority, r.Lower.String(), r.Upper.String(), boolInt(r.Expires), r.ExpiresAt,
		boolInt(r.AllowSMTP), boolInt(r.AllowPOP3), boolInt(r.AllowIMAP),
		boolInt(r.Allow.LocalToLocal), boolInt(r.Allow.LocalToExternal), boolInt(r.Allow.ExternalToLocal), boolInt(r.Allow.ExternalToExternal),
		boolInt(r.Require.LocalToLocal), boolInt(r.Require.LocalToExternal), boolInt(r.Require.ExternalToLocal), boolInt(r.Require.ExternalToExternal),
		boolInt(r.AntiSpam), boolInt(r.AntiVirus)}
}

var ipRangeWritable = []string{"name", "priority", "lower_ip", "upper_ip", "expires", "expires_at", "allow_smtp", "allow_pop3", "allow_imap",
	"allow_l2l", "allow_l2e", "allow_e2l", "allow_e2e", "require_auth_l2l", "require_auth_l2e", "require_auth_e2l", "require_auth_e2e", "antispam", "antivirus"}

// CreateIPRange adds an IP range.
func (s *Store) CreateIPRange(ctx context.Context, r IPRange) (IPRange, error) {
	return r, s.createIPRange(ctx, s.db, &r)
}

func (s *Store) createIPRange(ctx context.Context, q queryer, r *IPRange) error {
	if err := r.validate(); err != nil {
		return err
	}
	id, err := s.dialect.insert(ctx, q, "ip_ranges", append(ipRangeWritable, "created_at"), append(r.values(), s.unix())...)
	r.ID = id
	return err
}

// UpdateIPRange saves an IP range.
func (s *Store) UpdateIPRange(ctx context.Context, r IPRange) error {
	if err := r.validate(); err != nil {
		return err
	}
	res, err := s.exec(ctx, s.db, "UPDATE ip_ranges SET "+strings.Join(ipRangeWritable, " = ?, ")+" = ? WHERE id = ?", append(r.values(), r.ID)...)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNotFound
	}
	return nil
}

// DeleteIPRange deletes an IP range.
func (s *Store) DeleteIPRange(ctx context.Context, id int64) error {
	return s.deleteOne(ctx, "DELETE FROM ip_ranges WHERE id = ?", id)
}

// IPRanges lists the IP ranges, highest priority first.
func (s *Store) IPRanges(ctx context.Context) ([]IPRange, error) {
	rows, err := s.query(ctx, s.db, "SELECT "+ipRangeColumns+" FROM ip_ranges ORDER BY priority DESC, id")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []IPRange
	for rows.Next() {
		r, err := scanIPRange(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// MatchIPRange returns the range of highest priority that contains ip and
// has not expired at now (Unix seconds). Among equal priorities the manual
// leaves the choice undefined; Mailwright takes the oldest range.
func MatchIPRange(ranges []IPRange, ip netip.Addr, now int64) (IPRange, bool) {
	var best IPRange
	found := false
	for _, r := range ranges {
		if r.Expires && r.ExpiresAt <= now {
			continue
		}
		if !r.Contains(ip) {
			continue
		}
		if !found || r.Priority > best.Priority || (r.Priority == best.Priority && r.ID < best.ID) {
			best, found = r, true
		}
	}
	return best, found
}
