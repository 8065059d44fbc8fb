//go:build linux

package throwaway

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"text/template"

	"github.com/mailwright/mailwright/store/password"
)

// DovecotOptions are the throw-away Dovecot's tunables.
type DovecotOptions struct {
	// IMAPClientLimit is "service imap { client_limit }": how many
	// logged-in IMAP connections one imap process serves. Dovecot's default
	// is 1, a process per connection. Above 1, service_count is set to 0
	// too (Dovecot's default of 1 would end a process after its first
	// client).
	IMAPClientLimit int
	// MaxConnections sizes the service limits: process_limit and
	// client_limit of the login services, imap and pop3, and the default
	// limits of anvil, stats, log and auth.
	MaxConnections int
	// PlainPasswords stores the users' passwords in clear ({PLAIN}) in
	// the passwd-file. By default they are stored as Mailwright stores
	// them, argon2id with its parameters (m=19456 KiB, t=2, p=1) in
	// Dovecot's {ARGON2ID} scheme (libsodium), so that a login costs the
	// same hashing on both servers.
	PlainPasswords bool
	// AuthCache turns Dovecot's auth cache on (auth_cache_size 10M,
	// auth_cache_ttl 60 s, as Mailwright's AccountCacheTTL): a login
	// whose password passed lately is not hashed again. Off by default,
	// as in Dovecot's own defaults.
	AuthCache bool
}

// The configuration is Dovecot 2.3's, complete in itself (no
// /etc/dovecot is read): plain text authentication on loopback without
// TLS, the login services in "high-performance mode" (service_count = 0,
// a few long-lived imap-login processes, as Dovecot's documentation
// advises for many connections), Maildir under the temporary directory.
var dovecotConf = template.Must(template.New("dovecot.conf").Parse(`# Throw-away Dovecot for Mailwright's bench/imapload and bench/idlemem.
base_dir = {{.Dir}}/run
state_dir = {{.Dir}}/state
log_path = {{.Dir}}/dovecot.log
info_log_path = {{.Dir}}/dovecot.log
protocols = imap pop3
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
mail_location = maildir:~/Maildir
default_process_limit = {{.ProcessLimit}}
default_client_limit = {{.ClientLimit}}
{{if .AuthCache}}auth_cache_size = 10M
auth_cache_ttl = 60 s
{{end}}passdb {
  driver = passwd-file
  args = username_format=%u {{.Dir}}/users
}
userdb {
  driver = static
  args = uid={{.UID}} gid={{.GID}} home={{.Dir}}/home/%u
}
protocol imap {
  mail_max_userip_connections = {{.ClientLimit}}
}
protocol pop3 {
  mail_max_userip_connections = {{.ClientLimit}}
}
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = {{.IMAPPort}}
  }
  inet_listener imaps {
    port = 0
  }
  service_count = 0
  process_min_avail = 2
  process_limit = 4
  client_limit = {{.ClientLimit}}
}
service pop3-login {
  inet_listener pop3 {
    address = 127.0.0.1
    port = {{.POP3Port}}
  }
  inet_listener pop3s {
    port = 0
  }
  service_count = 0
  process_min_avail = 2
  process_limit = 4
  client_limit = {{.ClientLimit}}
}
service imap {
  process_limit = {{.ProcessLimit}}
  client_limit = {{.IMAPClientLimit}}
{{- if gt .IMAPClientLimit 1}}
  service_count = 0
{{- end}}
}
service pop3 {
  process_limit = {{.ProcessLimit}}
}
`))

// The mail files belong to nobody:nogroup (Debian's 65534), as any
// unprivileged uid would do.
const mailUID, mailGID = 65534, 65534

// StartDovecot writes a configuration under a new temporary directory in
// parent, with users in a passwd-file, and runs "dovecot -F -c CONF" as a
// child of this process. Run it as root with Debian's dovecot-imapd and
// dovecot-pop3d installed (the users dovecot and dovenull must exist).
func StartDovecot(parent string, users []User, opts DovecotOptions) (_ *Server, err error) {
	bin, err := exec.LookPath("dovecot")
	if err != nil {
		return nil, fmt.Errorf("dovecot is not installed (apt-get install dovecot-imapd dovecot-pop3d): %w", err)
	}
	if opts.IMAPClientLimit < 1 {
		opts.IMAPClientLimit = 1
	}
	if opts.MaxConnections < 1000 {
		opts.MaxConnections = 1000
	}
	dir, err := os.MkdirTemp(parent, "bench-dovecot-")
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			removeAll(dir)
		}
	}()
	// The login and mail processes run as other users: they must reach
	// the directories.
	if err := os.Chmod(dir, 0o755); err != nil {
		return nil, err
	}
	imapPort, err := FreePort()
	if err != nil {
		return nil, err
	}
	pop3Port, err := FreePort()
	if err != nil {
		return nil, err
	}
	var passwd strings.Builder
	for _, u := range users {
		stored := "{PLAIN}" + u.Password
		if !opts.PlainPasswords {
			hash, err := password.Hash(u.Password)
			if err != nil {
				return nil, err
			}
			if !strings.HasPrefix(hash, "$argon2id$") {
				return nil, fmt.Errorf("password.Hash now gives %.12q..., not argon2id: change the benchmark", hash)
			}
			stored = "{ARGON2ID}" + hash
		}
		fmt.Fprintf(&passwd, "%s:%s\n", u.Name, stored)
		home := filepath.Join(dir, "home", u.Name)
		if err := os.MkdirAll(home, 0o755); err != nil {
			return nil, err
		}
		if err := os.Chown(home, mailUID, mailGID); err != nil {
			return nil, err
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "users"), []byte(passwd.String()), 0o644); err != nil {
		return nil, err
	}
	var conf bytes.Buffer
	err = dovecotConf.Execute(&conf, map[string]any{
		"Dir": dir, "IMAPPort": imapPort, "POP3Port": pop3Port, "UID": mailUID, "GID": mailGID,
		"IMAPClientLimit": opts.IMAPClientLimit,
		"ProcessLimit":    opts.MaxConnections + 100,
		"ClientLimit":     2*opts.MaxConnections + 1000,
		"AuthCache":       opts.AuthCache,
	})
	if err != nil {
		return nil, err
	}
	confPath := filepath.Join(dir, "dovecot.conf")
	if err := os.WriteFile(confPath, conf.Bytes(), 0o644); err != nil {
		return nil, err
	}
	s := &Server{
		Name:     "dovecot",
		IMAPAddr: "127.0.0.1:" + itoa(imapPort),
		POP3Addr: "127.0.0.1:" + itoa(pop3Port),
		Users:    users,
		Dir:      dir,
		command:  []string{bin, "-F", "-c", confPath},
		logs:     []string{filepath.Join(dir, "dovecot.log")},
	}
	if err := s.launch(); err != nil {
		return nil, err
	}
	return s, nil
}

// LogWarnings returns the warning, error and fatal lines of the
// server's log so far (Dovecot's dovecot.log; empty for Mailwright), each
// different message once with how many times it came.
func (s *Server) LogWarnings() string {
	b, err := os.ReadFile(filepath.Join(s.Dir, "dovecot.log"))
	if err != nil {
		return ""
	}
	counts := map[string]int{}
	var order []string
	for line := range strings.Lines(string(b)) {
		for _, level := range []string{"Warning:", "Error:", "Fatal:", "Panic:"} {
			if i := strings.Index(line, level); i >= 0 {
				msg := strings.TrimSpace(line[i:])
				if counts[msg] == 0 {
					order = append(order, msg)
				}
				counts[msg]++
				break
			}
		}
	}
	var out []string
	for _, msg := range order {
		out = append(out, fmt.Sprintf("%6d× %s", counts[msg], msg))
	}
	return strings.Join(out, "\n")
}

// readTail returns the last 2,000 bytes of a file, for error messages.
func readTail(path string) string {
	b, _ := os.ReadFile(path)
	if len(b) > 2000 {
		b = b[len(b)-2000:]
	}
	return string(b)
}
