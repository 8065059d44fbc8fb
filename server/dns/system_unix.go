//go:build !windows

package dns

import (
	"net"

	mdns "github.com/miekg/dns"
)

// resolvConf is where Unix systems list their name servers.
const resolvConf = "/etc/resolv.conf"

// systemServers reads the name servers and the attempts from resolv.conf.
func systemServers() ([]string, int, error) {
	cfg, err := mdns.ClientConfigFromFile(resolvConf)
	if err != nil {
		return nil, 0, err
	}
	servers := make([]string, 0, len(cfg.Servers))
	for _, s := range cfg.Servers {
		servers = append(servers, net.JoinHostPort(s, cfg.Port))
	}
	return servers, cfg.Attempts, nil
}
