package store

import (
	"context"
	"database/sql"
	"errors"
	"net"
	"net/netip"
	"strconv"
	"strings"
)

// settingDNSServer names the DNS server for MX and address lookups:
// "host:port" or "host" (port 53); empty means the system's resolver.
const settingDNSServer = "DNSServer"

func init() {
	register(SettingInfo{Name: settingDNSServer, Kind: SettingText})
}

// settingRules are checks beyond a setting's kind, by name.
var settingRules = map[string]func(name, value string) error{
	settingDNSServer: func(name, value string) error {
		_, err := DNSServerAddress(value)
		return err
	},
	settingHierarchyDelimiter: func(name, value string) error {
		if len(value) != 1 || !strings.Contains(HierarchyDelimiters, value) {
			return invalid(name, "must be one of . / \\, not %q", value)
		}
		return nil
	},
}

// DNSServerAddress turns the DNSServer setting into the address to dial:
// "" stays "" (the system's resolver), a host without a port gets port 53.
func DNSServerAddress(setting string) (string, error) {
	setting = strings.TrimSpace(setting)
	if setting == "" {
		return "", nil
	}
	host, port := setting, "53"
	if h, p, err := net.SplitHostPort(setting); err == nil {
		host, port = h, p
	} else if _, perr := netip.ParseAddr(setting); perr != nil && strings.Contains(setting, ":") {
		return "", invalid(settingDNSServer, "%q is not host, host:port or [IPv6]:port", setting)
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		return "", invalid(settingDNSServer, "the port must be a number between 1 and 65535, not %q", port)
	}
	if _, err := netip.ParseAddr(host); err != nil {
		if verr := ValidateDomainName(settingDNSServer, host); verr != nil && host != "localhost" {
			return "", invalid(settingDNSServer, "%q is neither an IP address nor a host name", host)
		}
	}
	return net.JoinHostPort(host, port), nil
}

// CheckSetting reports whether value is acceptable for the setting name,
// without changing anything: what SetSettings checks for every value
// before it writes any.
func CheckSetting(name, value string) error {
	info, ok := knownSettings[name]
	if !ok {
		return invalid(name, "there is no setting called %q", name)
	}
	if err := info.check(value); err != nil {
		return err
	}
	if rule := settingRules[name]; rule != nil {
		return rule(name, value)
	}
	return nil
}

// SetSettings changes several settings at once, all or nothing: every
// value is checked first (a ValidationError names the setting at fault),
// then all are written in one transaction.
func (s *Store) SetSettings(ctx context.Context, values map[string]string) error {
	for name, value := range values {
		if err := CheckSetting(name, value); err != nil {
			return err
		}
	}
	defer s.invalidateSettings()
	return s.tx(ctx, func(tx *sql.Tx) error {
		for name, value := range values {
			// A new hierarchy delimiter must not split an existing
			// folder's name (imap_names.go).
			if name == settingHierarchyDelimiter {
				if current, err := s.Setting(ctx, name); err != nil {
					return err
				} else if current != value {
					if err := s.checkHierarchyDelimiter(ctx, tx, value); err != nil {
						return err
					}
				}
			}
			if err := s.setSettingTx(ctx, tx, name, value); err != nil {
				return err
			}
		}
		return nil
	})
}

// setSettingTx writes one checked setting in the caller's transaction.
func (s *Store) setSettingTx(ctx context.Context, tx *sql.Tx, name, value string) error {
	var existing string
	err := s.queryRow(ctx, tx, "SELECT value FROM settings WHERE name = ?", name).Scan(&existing)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		_, err = s.exec(ctx, tx, "INSERT INTO settings (name, value) VALUES (?, ?)", name, value)
		return err
	case err != nil:
		return err
	case existing == value:
		return nil
	}
	_, err = s.exec(ctx, tx, "UPDATE settings SET value = ? WHERE name = ?", value, name)
	return err
}
