package imap

import (
	"strconv"
	"strings"
	"time"
)

// parseMessageDate parses a Date: header value (RFC 5322 3.3) leniently, for
// SENTBEFORE/SENTON/SENTSINCE and SORT's DATE: the day of the week may be
// missing or wrong, comments and commas go anywhere, the month may be
// spelled out, the year may have two or three digits (RFC 5322 4.3), the
// seconds and the zone may be missing (UTC then), the zone may be a name
// (RFC 5322 4.3 and a few common ones), and what is not understood is
// skipped. The day, month and year must be there and make a real date;
// ok is false otherwise. The time returned is in the zone the header gives,
// so its Date() is the calendar date as written.
func parseMessageDate(v string) (t time.Time, ok bool) {
	if len(v) > 200 {
		v = v[:200] // a date is short; bound the work on junk
	}
	var (
		day, year        int
		yearDigits       int
		month            time.Month
		hour, min, sec   int
		zone             *time.Location
		haveDay, haveTim bool
	)
	for _, token := range dateTokens(stripComments(v)) {
		switch {
		case isDigits(token):
			n, _ := strconv.Atoi(token)
			switch {
			case !haveDay && len(token) <= 2 && n >= 1 && n <= 31:
				day, haveDay = n, true
			case year == 0 && yearDigits == 0:
				year, yearDigits = n, len(token)
			}
		case strings.Contains(token, ":") && !haveTim && token[0] >= '0' && token[0] <= '9':
			clock, rest := token, ""
			if i := strings.IndexAny(token, "+-Zz"); i > 0 {
				clock, rest = token[:i], token[i:]
			}
			if h, m, s, good := parseClock(clock); good {
				hour, min, sec, haveTim = h, m, s, true
			}
			if rest != "" && zone == nil {
				zone = parseZone(rest)
			}
		case (token[0] == '+' || token[0] == '-') && zone == nil:
			zone = parseZone(token)
		default:
			if m, isMonth := monthByName(token); isMonth && month == 0 {
				month = m
			} else if zone == nil {
				zone = namedZone(token)
			}
		}
	}
	if !haveDay || month == 0 || yearDigits == 0 {
		return time.Time{}, false
	}
	// RFC 5322 4.3: two-digit years 00-49 are 2000-2049, 50-99 and any
	// three-digit year are 1900 onwards.
	switch {
	case yearDigits <= 2 && year < 50:
		year += 2000
	case yearDigits <= 3:
		year += 1900
	}
	if year > 9999 {
		return time.Time{}, false
	}
	if zone == nil {
		zone = time.UTC
	}
	t = time.Date(year, month, day, hour, min, sec, 0, zone)
	if t.Day() != day { // 31 Feb and the like
		return time.Time{}, false
	}
	return t, true
}

// stripComments replaces RFC 5322 comments, which may nest, with a space.
func stripComments(v string) string {
	if !strings.Contains(v, "(") {
		return v
	}
	var b strings.Builder
	depth := 0
	for i := 0; i < len(v); i++ {
		switch c := v[i]; {
		case c == '\\' && depth > 0:
			i++
		case c == '(':
			depth++
		case c == ')' && depth > 0:
			depth--
			if depth == 0 {
				b.WriteByte(' ')
			}
		case depth == 0:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// dateTokens splits a date at white space and commas. A token such as
// "02-Jan-2006" (IMAP's form) is split at its dashes, and an ISO 8601 date
// "2006-01-02" becomes "2", "Jan", "2006".
func dateTokens(v string) []string {
	var out []string
	for _, field := range strings.FieldsFunc(v, func(r rune) bool {
		return r == ' ' || r == '\t' || r == '\r' || r == '\n' || r == ','
	}) {
		if field[0] != '+' && field[0] != '-' && !strings.Contains(field, ":") && strings.Count(field, "-") == 2 {
			parts := strings.Split(field, "-")
			if len(parts[0]) == 4 && isDigits(parts[0]) && isDigits(parts[1]) && isDigits(parts[2]) {
				if m, err := strconv.Atoi(parts[1]); err == nil && m >= 1 && m <= 12 {
					parts = []string{parts[2], time.Month(m).String(), parts[0]}
				}
			}
			for _, part := range parts {
				if part != "" {
					out = append(out, part)
				}
			}
			continue
		}
		out = append(out, field)
	}
	return out
}

func isDigits(s string) bool {
	if s == "" || len(s) > 9 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// parseClock parses hh:mm or hh:mm:ss (a leap second counts as :59 and a
// fraction is ignored).
func parseClock(s string) (h, m, sec int, ok bool) {
	if i := strings.IndexByte(s, '.'); i >= 0 {
		s = s[:i]
	}
	parts := strings.Split(s, ":")
	if len(parts) < 2 || len(parts) > 3 {
		return 0, 0, 0, false
	}
	var n [3]int
	for i, p := range parts {
		if !isDigits(p) || len(p) > 2 {
			return 0, 0, 0, false
		}
		n[i], _ = strconv.Atoi(p)
	}
	if n[0] > 23 || n[1] > 59 || n[2] > 60 {
		return 0, 0, 0, false
	}
	return n[0], n[1], min(n[2], 59), true
}

// parseZone parses a numeric zone: +hhmm, -hhmm, +hh:mm or +hh; "Z" is
// UTC. It returns nil for anything else.
func parseZone(s string) *time.Location {
	if s == "Z" || s == "z" {
		return time.UTC
	}
	if len(s) < 3 || (s[0] != '+' && s[0] != '-') {
		return nil
	}
	digits := strings.Replace(s[1:], ":", "", 1)
	if !isDigits(digits) || (len(digits) != 2 && len(digits) != 4) {
		return nil
	}
	hours, _ := strconv.Atoi(digits[:2])
	minutes := 0
	if len(digits) == 4 {
		minutes, _ = strconv.Atoi(digits[2:])
	}
	if hours > 23 || minutes > 59 {
		return nil
	}
	offset := (hours*60 + minutes) * 60
	if s[0] == '-' {
		offset = -offset
	}
	if offset == 0 {
		return time.UTC
	}
	return time.FixedZone(s, offset)
}

// zoneOffsets are the zone names of RFC 5322 4.3 (military single letters
// count as UTC, as it says) and a few more seen in the wild, in hours east
// of UTC.
var zoneOffsets = map[string]int{
	"UT": 0, "UTC": 0, "GMT": 0, "Z": 0,
	"EST": -5, "EDT": -4, "CST": -6, "CDT": -5, "MST": -7, "MDT": -6, "PST": -8, "PDT": -7,
	"CET": 1, "CEST": 2, "MET": 1, "MEST": 2, "EET": 2, "EEST": 3, "WET": 0, "WEST": 1,
	"BST": 1, "JST": 9,
}

// namedZone is the zone a name stands for, nil when unknown.
func namedZone(name string) *time.Location {
	upper := strings.ToUpper(name)
	hours, known := zoneOffsets[upper]
	if !known {
		if len(upper) == 1 && upper[0] >= 'A' && upper[0] <= 'Z' && upper != "J" {
			return time.UTC
		}
		return nil
	}
	if hours == 0 {
		return time.UTC
	}
	return time.FixedZone(upper, hours*3600)
}

// monthByName recognises a month by its English name or its first three
// letters, in any case.
func monthByName(s string) (time.Month, bool) {
	if len(s) < 3 {
		return 0, false
	}
	prefix := strings.ToLower(s[:3])
	for m := time.January; m <= time.December; m++ {
		if strings.ToLower(m.String()[:3]) == prefix {
			full := strings.ToLower(m.String())
			lower := strings.ToLower(s)
			if len(s) == 3 || strings.HasPrefix(full, lower) || (m == time.September && lower == "sept") {
				return m, true
			}
		}
	}
	return 0, false
}
