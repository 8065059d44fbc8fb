package policy

import (
	"container/list"
	"context"
	"crypto/rand"
	"fmt"
	"log/slog"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/mailwright/mailwright/store"
)

const (
	// banPriority is the priority of the ranges auto-ban creates. The
	// manual: "The IP ranges added by auto-ban is given the priority 20, so
	// if your own IP range has priority 25 it will take precedence."
	banPriority = 20
	// banNamePrefix starts the name of every range auto-ban creates; the
	// manual names them "Auto-ban: username random".
	banNamePrefix = "Auto-ban: "
	// banRandomLength is the manual's "random is replaced with a 9
	// character random string": IP range names must be unique.
	banRandomLength = 9
	// maxRangeName is the manual's limit on an IP range's name.
	maxRangeName = 40
	// maxTrackedAddresses bounds the failure counters, so a scan from many
	// addresses cannot grow them without end; the least recently failing
	// address is forgotten first.
	maxTrackedAddresses = 100_000
	// sweepInterval is the manual's "the internal task which removes
	// expired IP ranges runs once every minute".
	sweepInterval = time.Minute
)

// AutoBan counts failed logins per client address and bans an address that
// fails too often within the window, with an expiring IP range that allows
// nothing (manual: Auto-ban). The counters live in this node's memory; the
// bans are ranges in the database, so every node sees them. It is safe for
// concurrent use.
type AutoBan struct {
	store  *store.Store
	ranges *Ranges
	log    *slog.Logger
	now    func() time.Time
	// maxTracked is maxTrackedAddresses, smaller in tests.
	maxTracked int

	mu       sync.Mutex
	failures map[netip.Addr]*list.Element // of *failureRecord
	// byLastFailure orders the records, least recent failure first.
	byLastFailure *list.List
}

// failureRecord holds an address's recent failed logins, oldest first.
type failureRecord struct {
	ip    netip.Addr
	times []time.Time
}

// NewAutoBan returns an auto-ban over st's settings that tells ranges when
// it adds or removes a ban. A nil log discards the log lines.
func NewAutoBan(st *store.Store, ranges *Ranges, log *slog.Logger) *AutoBan {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &AutoBan{
		store: st, ranges: ranges, log: log, now: time.Now, maxTracked: maxTrackedAddresses,
		failures: map[netip.Addr]*list.Element{}, byLastFailure: list.New(),
	}
}

// Failed records a failed login from ip. When auto-ban is on
// ("AutoBanOnLogonFailure") and this failure makes "MaxInvalidLogonAttempts"
// within the last "LogonAttemptsWithinMinutes", it bans ip for
// "AutoBanMinutes": it creates the range "Auto-ban: <username> <random>"
// covering exactly ip, priority 20, allowing no protocol and no delivery,
// expiring then; invalidates the range cache, logs the ban, forgets ip's
// failures and returns banned = true. An invalid ip (no client address) is
// not counted.
func (a *AutoBan) Failed(ctx context.Context, ip netip.Addr, username string) (banned bool, err error) {
	if !ip.IsValid() {
		return false, nil
	}
	ip = ip.Unmap().WithZone("")
	enabled, err := a.store.SettingInt(ctx, "AutoBanOnLogonFailure")
	if err != nil || enabled == 0 {
		return false, err
	}
	attempts, err := a.store.SettingInt(ctx, "MaxInvalidLogonAttempts")
	if err != nil {
		return false, err
	}
	window, err := a.store.SettingInt(ctx, "LogonAttemptsWithinMinutes")
	if err != nil {
		return false, err
	}
	now := a.now()
	if !a.countFailure(ip, now, max(attempts, 1), time.Duration(window)*time.Minute) {
		return false, nil
	}
	minutes, err := a.store.SettingInt(ctx, "AutoBanMinutes")
	if err != nil {
		return false, err
	}
	ban := store.IPRange{
		Name:     banRangeName(username),
		Priority: banPriority,
		Lower:    ip,
		Upper:    ip,
		Expires:  true,
		// AllowSMTP, AllowPOP3, AllowIMAP and every delivery stay false:
		// "In this IP range all protocols are de-selected".
		ExpiresAt: now.Add(time.Duration(max(minutes, 1)) * time.Minute).Unix(),
		AntiSpam:  true,
		AntiVirus: true,
	}
	ban, err = a.store.CreateIPRange(ctx, ban)
	if err != nil {
		return false, fmt.Errorf("policy: auto-ban %s: %w", ip, err)
	}
	a.ranges.Invalidate()
	a.log.Info("auto-ban: address banned after failed logons",
		"ip", ip, "username", username, "attempts", attempts, "range", ban.Name,
		"minutes", minutes, "until", time.Unix(ban.ExpiresAt, 0).UTC())
	return true, nil
}

// Succeeded forgets ip's failed logins.
func (a *AutoBan) Succeeded(ip netip.Addr) {
	ip = ip.Unmap().WithZone("")
	a.mu.Lock()
	defer a.mu.Unlock()
	if el, ok := a.failures[ip]; ok {
		a.forget(el)
	}
}

// Run removes the expired IP ranges every minute until ctx is done,
// invalidating the range cache when it removed any. It also forgets failure
// counts older than the window.
func (a *AutoBan) Run(ctx context.Context) {
	ticker := time.NewTicker(sweepInterval)
	defer ticker.Stop()
	for {
		if _, err := a.sweep(ctx); err != nil && ctx.Err() == nil {
			a.log.Warn("auto-ban: removing expired IP ranges failed", "error", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		}
	}
}

// sweep is one run of the expiry task: it deletes the ranges expired at
// a.now, invalidates the cache when there were any, and drops stale
// failure counts. It returns how many ranges it deleted.
func (a *AutoBan) sweep(ctx context.Context) (int, error) {
	now := a.now()
	n, err := a.store.DeleteExpiredIPRanges(ctx, now.Unix())
	if err != nil {
		return 0, err
	}
	if n > 0 {
		a.ranges.Invalidate()
		a.log.Info("auto-ban: removed expired IP ranges", "count", n)
	}
	window, err := a.store.SettingInt(ctx, "LogonAttemptsWithinMinutes")
	if err != nil {
		return n, err
	}
	a.forgetStale(now.Add(-time.Duration(window) * time.Minute))
	return n, nil
}

// countFailure records a failure of ip at now and reports whether ip has
// now failed attempts times within window; if so its count starts over.
func (a *AutoBan) countFailure(ip netip.Addr, now time.Time, attempts int, window time.Duration) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	el, ok := a.failures[ip]
	if ok {
		a.byLastFailure.MoveToBack(el)
	} else {
		el = a.byLastFailure.PushBack(&failureRecord{ip: ip})
		a.failures[ip] = el
		for a.byLastFailure.Len() > a.maxTracked {
			a.forget(a.byLastFailure.Front())
		}
	}
	rec := el.Value.(*failureRecord)
	cutoff := now.Add(-window)
	rec.times = slices.DeleteFunc(rec.times, func(t time.Time) bool { return !t.After(cutoff) })
	rec.times = append(rec.times, now)
	if len(rec.times) > attempts {
		// Only the newest attempts failures can make a ban.
		rec.times = slices.Delete(rec.times, 0, len(rec.times)-attempts)
	}
	if len(rec.times) < attempts {
		return false
	}
	a.forget(el)
	return true
}

// forgetStale drops the addresses whose last failure is at or before cutoff.
func (a *AutoBan) forgetStale(cutoff time.Time) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for el := a.byLastFailure.Front(); el != nil; {
		next := el.Next()
		rec := el.Value.(*failureRecord)
		if len(rec.times) == 0 || !rec.times[len(rec.times)-1].After(cutoff) {
			a.forget(el)
		}
		el = next
	}
}

// forget removes a record; a.mu must be held.
func (a *AutoBan) forget(el *list.Element) {
	delete(a.failures, el.Value.(*failureRecord).ip)
	a.byLastFailure.Remove(el)
}

// banRangeName is "Auto-ban: <username> <random>", the username shortened
// so that the name fits the 40-character limit with its random part whole.
func banRangeName(username string) string {
	random := rand.Text()[:banRandomLength]
	room := maxRangeName - utf8.RuneCountInString(banNamePrefix) - 1 - banRandomLength
	username = printableUsername(username)
	if utf8.RuneCountInString(username) > room {
		username = strings.TrimSpace(string([]rune(username)[:room]))
	}
	if username == "" {
		return banNamePrefix + random
	}
	return banNamePrefix + username + " " + random
}

// printableUsername makes what a client sent as a username fit for a range
// name: valid UTF-8, no control characters, single spaces.
func printableUsername(s string) string {
	s = strings.ToValidUTF8(s, "?")
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s)
	return strings.Join(strings.Fields(s), " ")
}
