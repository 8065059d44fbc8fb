package store

import (
	"context"
	"sort"
	"strconv"
)

// SettingKind says how a setting's text is read.
type SettingKind int

const (
	SettingText SettingKind = iota
	SettingInt
	SettingBool // "0" or "1"
)

// SettingInfo describes a known setting and its default.
type SettingInfo struct {
	Name    string
	Kind    SettingKind
	Default string
	Min     int // for SettingInt
	Max     int
}

// knownSettings are the server settings kept in the database, with the
// defaults of a fresh hMailServer 5 install. The database holds only the
// values an administrator changed. Later features register theirs here.
var knownSettings = map[string]SettingInfo{}

func register(infos ...SettingInfo) {
	for _, s := range infos {
		knownSettings[s.Name] = s
	}
}

func init() {
	register(
		SettingInfo{Name: "HostName", Kind: SettingText},
		SettingInfo{Name: "WelcomeSMTP", Kind: SettingText},
		SettingInfo{Name: "WelcomePOP3", Kind: SettingText},
		SettingInfo{Name: "WelcomeIMAP", Kind: SettingText},
		SettingInfo{Name: "MaxSMTPConnections", Kind: SettingInt, Max: 1 << 20},
		SettingInfo{Name: "MaxPOP3Connections", Kind: SettingInt, Max: 1 << 20},
		SettingInfo{Name: "MaxIMAPConnections", Kind: SettingInt, Max: 1 << 20},
		SettingInfo{Name: "MaxMessageSizeKB", Kind: SettingInt, Default: "20480", Max: 1 << 30},
		SettingInfo{Name: "SMTPNoOfTries", Kind: SettingInt, Default: "4", Max: 1000},
		SettingInfo{Name: "SMTPMinutesBetweenTry", Kind: SettingInt, Default: "60", Max: 100000},
		SettingInfo{Name: "DeliveryThreads", Kind: SettingInt, Default: "10", Min: 1, Max: 1000},
		SettingInfo{Name: "AllowPlainTextAuthentication", Kind: SettingBool, Default: "1"},
		SettingInfo{Name: "AllowEmptySender", Kind: SettingBool, Default: "1"},
		SettingInfo{Name: "AllowIncorrectLineEndings", Kind: SettingBool, Default: "1"},
		SettingInfo{Name: "DisconnectInvalidClients", Kind: SettingBool, Default: "0"},
		SettingInfo{Name: "MaxNumberOfInvalidCommands", Kind: SettingInt, Default: "3", Max: 1000},
		SettingInfo{Name: "MaxRecipients", Kind: SettingInt, Default: "100", Max: 1 << 20},
		SettingInfo{Name: "MirrorAddress", Kind: SettingText},
		SettingInfo{Name: "SMTPRelayer", Kind: SettingText},
		SettingInfo{Name: "SMTPRelayerPort", Kind: SettingInt, Default: "25", Min: 1, Max: 65535},
		// Outbound delivery (manual: SMTP → Delivery of e-mail, Advanced).
		// The relayer's "Server requires authentication", user name,
		// password and security (0 none, 1 TLS, 2 STARTTLS optional, 3
		// STARTTLS required, as store.ConnectionSecurity; the manual's
		// "Use SSL" is 1).
		SettingInfo{Name: "SMTPRelayerRequiresAuth", Kind: SettingBool, Default: "0"},
		SettingInfo{Name: "SMTPRelayerUsername", Kind: SettingText},
		SettingInfo{Name: "SMTPRelayerPassword", Kind: SettingText},
		SettingInfo{Name: "SMTPRelayerSecurity", Kind: SettingInt, Default: "0", Min: 0, Max: 3},
		// Security of deliveries by MX: STARTTLS when offered, as
		// hMailServer 5.5's SmtpDeliveryConnectionSecurity (default 2).
		SettingInfo{Name: "SMTPDeliverySecurity", Kind: SettingInt, Default: "2", Min: 0, Max: 3},
		// Verify the remote server's certificate on outbound TLS. Off by
		// default, as the 5.2 manual's "Security considerations" describes
		// and as Postfix's opportunistic TLS does: many MX hosts present
		// self-signed certificates, and refusing them would hold mail that
		// plain SMTP delivers anyway. hMailServer 5.5 made it a setting.
		SettingInfo{Name: "VerifyRemoteCertificate", Kind: SettingBool, Default: "0"},
		// At most this many MX hosts are tried per delivery, 0 for all
		// (hMailServer's MaxNumberOfMXHosts, 15 in its install scripts).
		SettingInfo{Name: "MaxMXHosts", Kind: SettingInt, Default: "15", Min: 0, Max: 1000},
		// "Bind to local IP address": the source address of outbound SMTP,
		// empty for the system's choice (hMailServer's SMTPDeliveryBindToIP).
		SettingInfo{Name: "BindToLocalIP", Kind: SettingText},
		// "Maximum number of recipients in batch", 0 for no limit
		// (hMailServer's MaxSMTPRecipientsInBatch, default 100).
		SettingInfo{Name: "MaxRecipientsInBatch", Kind: SettingInt, Default: "100", Min: 0, Max: 1 << 20},
		SettingInfo{Name: "AdminAddress", Kind: SettingText, Default: "127.0.0.1:8425"},
		SettingInfo{Name: "AddXAuthUserHeader", Kind: SettingBool, Default: "0"},
		SettingInfo{Name: "LogSMTPConversations", Kind: SettingBool, Default: "0"},
		SettingInfo{Name: "LogPOP3Conversations", Kind: SettingBool, Default: "0"},
		SettingInfo{Name: "LogIMAPConversations", Kind: SettingBool, Default: "0"},
		SettingInfo{Name: "MaskPasswordsInLog", Kind: SettingBool, Default: "1"},
		SettingInfo{Name: "IMAPPublicFolderName", Kind: SettingText, Default: "#Public"},
		SettingInfo{Name: "IMAPHierarchyDelimiter", Kind: SettingText, Default: "."},
		SettingInfo{Name: "IMAPIdleEnabled", Kind: SettingBool, Default: "1"},
		SettingInfo{Name: "IMAPSortEnabled", Kind: SettingBool, Default: "1"},
		SettingInfo{Name: "IMAPQuotaEnabled", Kind: SettingBool, Default: "1"},
		SettingInfo{Name: "IMAPACLEnabled", Kind: SettingBool, Default: "1"},
		SettingInfo{Name: "AddDeliveredToHeader", Kind: SettingBool, Default: "0"},
		// The cache (manual: Settings → Advanced → Performance → Cache;
		// cache.go): on or off, and how many seconds a cached object of
		// each kind is used before the database is read again.
		SettingInfo{Name: settingCacheEnabled, Kind: SettingBool, Default: "1"},
		SettingInfo{Name: settingDomainCacheTTL, Kind: SettingInt, Default: "60", Min: 0, Max: 86400},
		SettingInfo{Name: settingAccountCacheTTL, Kind: SettingInt, Default: "60", Min: 0, Max: 86400},
		SettingInfo{Name: settingAliasCacheTTL, Kind: SettingInt, Default: "60", Min: 0, Max: 86400},
		SettingInfo{Name: settingDistributionListCacheTTL, Kind: SettingInt, Default: "60", Min: 0, Max: 86400},
	)
}

// KnownSettings lists the settings by name.
func KnownSettings() []SettingInfo {
	out := make([]SettingInfo, 0, len(knownSettings))
	for _, s := range knownSettings {
		out = append(out, s)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

func (info SettingInfo) check(value string) error {
	switch info.Kind {
	case SettingBool:
		if value != "0" && value != "1" {
			return invalid(info.Name, "must be 0 or 1, not %q", value)
		}
	case SettingInt:
		n, err := strconv.Atoi(value)
		if err != nil {
			return invalid(info.Name, "%q is not a whole number", value)
		}
		if n < info.Min || n > info.Max {
			return invalid(info.Name, "must be between %d and %d, not %d", info.Min, info.Max, n)
		}
	}
	return nil
}

// Setting returns a setting's value, or its default when never changed,
// through the cache (cache.go).
func (s *Store) Setting(ctx context.Context, name string) (string, error) {
	if _, ok := knownSettings[name]; !ok {
		return "", invalid("name", "there is no setting called %q", name)
	}
	settings, err := s.cachedSettings(ctx)
	if err != nil {
		return "", err
	}
	return settings[name], nil
}

// SettingInt returns an integer or boolean setting as a number.
func (s *Store) SettingInt(ctx context.Context, name string) (int, error) {
	v, err := s.Setting(ctx, name)
	if err != nil {
		return 0, err
	}
	if v == "" {
		return 0, nil
	}
	return strconv.Atoi(v)
}

// SetSetting changes a setting after checking its value, with the same
// checks as SetSettings (the hierarchy delimiter's among them).
func (s *Store) SetSetting(ctx context.Context, name, value string) error {
	if _, ok := knownSettings[name]; !ok {
		return invalid("name", "there is no setting called %q", name)
	}
	return s.SetSettings(ctx, map[string]string{name: value})
}

// Settings is a snapshot of every known setting, for code that reads many
// at once (a new SMTP session reads a dozen).
type Settings map[string]string

// Bool reads a boolean setting from the snapshot.
func (s Settings) Bool(name string) bool { return s[name] == "1" }

// Int reads an integer setting from the snapshot; a bad value reads as 0.
func (s Settings) Int(name string) int {
	n, _ := strconv.Atoi(s[name])
	return n
}

// AllSettings returns every setting, defaults filled in, through the
// cache (cache.go): the caller's own copy.
func (s *Store) AllSettings(ctx context.Context) (Settings, error) {
	settings, err := s.cachedSettings(ctx)
	if err != nil {
		return nil, err
	}
	return cloneSettings(settings), nil
}

// SettingsSnapshot returns every setting, defaults filled in, through the
// cache (cache.go), without copying: the map is shared with the cache and
// with every other caller, so it must only be read. The protocol sessions
// keep one for their whole life (a copy each would cost a few KiB per
// connection); a change of the settings makes a new map for the sessions
// that start afterwards and leaves this one as it was.
func (s *Store) SettingsSnapshot(ctx context.Context) (Settings, error) {
	return s.cachedSettings(ctx)
}

// invalidateSettings drops the cached settings, and the copies whose TTL
// they set; the setting writers call it after their commit. It runs after
// a failed write too: what was committed is then read again.
func (s *Store) invalidateSettings() { s.cache.invalidate(cacheSettings, cacheRoutes, cachePorts) }

// loadSettings reads every setting in one query, defaults filled in.
func (s *Store) loadSettings(ctx context.Context) (Settings, error) {
	out := Settings{}
	for name, info := range knownSettings {
		out[name] = info.Default
	}
	rows, err := s.query(ctx, s.db, "SELECT name, value FROM settings")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var name, value string
		if err := rows.Scan(&name, &value); err != nil {
			return nil, err
		}
		if _, known := knownSettings[name]; known {
			out[name] = value
		}
	}
	return out, rows.Err()
}
