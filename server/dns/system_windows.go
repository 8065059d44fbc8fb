//go:build windows

package dns

import "errors"

// systemServers has nothing to read on Windows, whose DNS settings live in
// the registry per network adapter: the resolver falls back to Go's, which
// asks Windows.
func systemServers() ([]string, int, error) {
	return nil, 0, errors.New("no resolv.conf on Windows")
}
