package main

import (
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strings"
)

// postfixInstance is a throw-away Postfix: its own configuration, queue
// and data directories under dir, smtpd on a loopback port, and one
// virtual mailbox domain delivering to Maildir under dir/mail. It uses the
// system's Postfix programs (Debian package postfix) but not its
// configuration, and it is stopped and removed at the end.
type postfixInstance struct {
	dir     string // everything of the instance is below it
	config  string // config_directory
	port    int
	maildir string // the recipient's Maildir
}

// startPostfix writes the instance's main.cf and master.cf under dir and
// starts it on 127.0.0.1:port, delivering mail for recipient (local@domain)
// into a Maildir.
func startPostfix(dir string, port int, recipient string) (*postfixInstance, error) {
	local, domain, ok := strings.Cut(recipient, "@")
	if !ok {
		return nil, fmt.Errorf("recipient %q has no domain", recipient)
	}
	p := &postfixInstance{dir: dir, config: filepath.Join(dir, "etc"), port: port}
	mailBase := filepath.Join(dir, "mail")
	p.maildir = filepath.Join(mailBase, domain, local)
	for _, d := range []string{p.config, filepath.Join(dir, "spool"), filepath.Join(dir, "data"), mailBase} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return nil, err
		}
	}
	// Postfix's own processes run as mail_owner (postfix) and the virtual
	// delivery agent as the mailbox owner (nobody here): both must reach
	// their directories through the temporary directory.
	if err := os.Chmod(filepath.Dir(dir), 0o755); err != nil {
		return nil, err
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		return nil, err
	}
	owner, err := user.Lookup("nobody")
	if err != nil {
		return nil, err
	}
	if err := chownTo(mailBase, owner); err != nil {
		return nil, err
	}
	postfixOwner, err := user.Lookup("postfix")
	if err != nil {
		return nil, fmt.Errorf("no postfix user (is the Debian package postfix installed?): %w", err)
	}
	if err := chownTo(filepath.Join(dir, "data"), postfixOwner); err != nil {
		return nil, err
	}

	mainCF := strings.Join([]string{
		"compatibility_level = 3.6",
		"queue_directory = " + filepath.Join(dir, "spool"),
		"data_directory = " + filepath.Join(dir, "data"),
		"mail_owner = postfix",
		"setgid_group = postdrop",
		"myhostname = postfix.bench.localhost",
		"mydomain = bench.localhost",
		"myorigin = $myhostname",
		"mydestination =",
		"inet_interfaces = 127.0.0.1",
		"inet_protocols = ipv4",
		"mynetworks = 127.0.0.0/8",
		"smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination",
		"smtpd_peername_lookup = no",
		"alias_maps =",
		"alias_database =",
		"local_recipient_maps =",
		"relayhost =",
		"biff = no",
		"virtual_mailbox_domains = " + domain,
		"virtual_mailbox_base = " + mailBase,
		"virtual_mailbox_maps = texthash:" + filepath.Join(p.config, "vmailbox"),
		"virtual_uid_maps = static:" + owner.Uid,
		"virtual_gid_maps = static:" + owner.Gid,
		"",
	}, "\n")
	// The services a Postfix of this version needs, none chrooted (the
	// instance has no chroot jail), smtpd on the benchmark's port only.
	masterCF := strings.Join([]string{
		fmt.Sprintf("127.0.0.1:%d inet n - n - - smtpd", port),
		"pickup     unix n - n 60   1 pickup",
		"cleanup    unix n - n -    0 cleanup",
		"qmgr       unix n - n 300  1 qmgr",
		"rewrite    unix - - n -    - trivial-rewrite",
		"bounce     unix - - n -    0 bounce",
		"defer      unix - - n -    0 bounce",
		"trace      unix - - n -    0 bounce",
		"verify     unix - - n -    1 verify",
		"flush      unix n - n 1000? 0 flush",
		"proxymap   unix - - n -    - proxymap",
		"proxywrite unix - - n -    1 proxymap",
		"smtp       unix - - n -    - smtp",
		"relay      unix - - n -    - smtp",
		"showq      unix n - n -    - showq",
		"error      unix - - n -    - error",
		"retry      unix - - n -    - error",
		"discard    unix - - n -    - discard",
		"local      unix - n n -    - local",
		"virtual    unix - n n -    - virtual",
		"lmtp       unix - - n -    - lmtp",
		"anvil      unix - - n -    1 anvil",
		"scache     unix - - n -    1 scache",
		"",
	}, "\n")
	// A trailing slash makes the mailbox a Maildir.
	vmailbox := fmt.Sprintf("%s %s/%s/\n", recipient, domain, local)
	for name, text := range map[string]string{"main.cf": mainCF, "master.cf": masterCF, "vmailbox": vmailbox} {
		if err := os.WriteFile(filepath.Join(p.config, name), []byte(text), 0o644); err != nil {
			return nil, err
		}
	}
	// The queue's subdirectories and their owners, as the package's
	// post-install makes them for the system instance.
	if out, err := p.postfix("post-install", "create-missing"); err != nil {
		return nil, fmt.Errorf("postfix post-install create-missing: %v\n%s", err, out)
	}
	if out, err := p.postfix("start"); err != nil {
		return nil, fmt.Errorf("postfix start: %v\n%s", err, out)
	}
	return p, nil
}

// postfix runs the postfix command on the instance's configuration.
func (p *postfixInstance) postfix(args ...string) ([]byte, error) {
	return exec.Command("/usr/sbin/postfix", append([]string{"-c", p.config}, args...)...).CombinedOutput()
}

// stop stops the instance and waits for its master to be gone.
func (p *postfixInstance) stop() error {
	out, err := p.postfix("stop")
	if err != nil {
		return fmt.Errorf("postfix stop: %v\n%s", err, out)
	}
	return nil
}

// delivered counts the messages in the Maildir's new/ directory.
func (p *postfixInstance) delivered() (int, error) {
	return countFiles(filepath.Join(p.maildir, "new"))
}

// countFiles counts the entries of dir; a missing directory has none.
func countFiles(dir string) (int, error) {
	d, err := os.Open(dir)
	if os.IsNotExist(err) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	defer d.Close()
	n := 0
	for {
		names, err := d.Readdirnames(4096)
		n += len(names)
		if err != nil {
			return n, nil // io.EOF
		}
	}
}

// queueEmpty reports whether the instance's incoming and active queues
// are empty, from their directory trees.
func (p *postfixInstance) queueEmpty() (bool, error) {
	for _, q := range []string{"incoming", "active", "deferred", "maildrop"} {
		n := 0
		err := filepath.WalkDir(filepath.Join(p.dir, "spool", q), func(_ string, d os.DirEntry, err error) error {
			if err != nil {
				return nil
			}
			if !d.IsDir() {
				n++
			}
			return nil
		})
		if err != nil {
			return false, err
		}
		if n > 0 {
			return false, nil
		}
	}
	return true, nil
}

func chownTo(path string, u *user.User) error {
	var uid, gid int
	if _, err := fmt.Sscan(u.Uid, &uid); err != nil {
		return err
	}
	if _, err := fmt.Sscan(u.Gid, &gid); err != nil {
		return err
	}
	return os.Chown(path, uid, gid)
}
