package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"strings"

	"github.com/mailwright/mailwright/store/password"
)

// AdminLevel is what an account may administer (manual: Account → Administration level).
type AdminLevel int

const (
	AdminUser   AdminLevel = 0 // its own account's settings
	AdminDomain AdminLevel = 1 // everything in its domain
	AdminServer AdminLevel = 2 // everything
)

// Address kinds in the addresses table: what owns a local address.
const (
	kindAccount = 1
	kindAlias   = 2
	kindList    = 3
)

// Account is a mailbox (manual: Accounts).
type Account struct {
	ID           int64
	DomainID     int64
	Address      string
	Active       bool
	AdminLevel   AdminLevel
	MaxSizeMB    int // 0: no limit
	FirstName    string
	LastName     string
	LastLogonAt  int64
	LastLogonIP  string
	CreatedAt    int64
	Vacation     Vacation
	Forward      Forward
	Signature    Signature
	passwordHash string
}

// Vacation is the account's auto-reply.
type Vacation struct {
	Enabled   bool
	Subject   string
	Message   string
	Expires   bool
	ExpiresAt int64
}

// Forward is the account's forwarding.
type Forward struct {
	Enabled      bool
	Address      string
	KeepOriginal bool
}

// Signature is the account's signature.
type Signature struct {
	Enabled bool
	Plain   string
	HTML    string
}

const accountColumns = `id, domain_id, address, password, active, admin_level, max_size_mb, first_name, last_name, last_logon_at, last_logon_ip, created_at,
	vacation_enabled, vacation_subject, vacation_message, vacation_expires, vacation_expires_at,
	forward_enabled, forward_address, forward_keep_original, signature_enabled, signature_plain, signature_html`

func scanAccount(row interface{ Scan(...any) error }) (Account, error) {
	var a Account
	err := row.Scan(&a.ID, &a.DomainID, &a.Address, &a.passwordHash, &a.Active, &a.AdminLevel, &a.MaxSizeMB, &a.FirstName, &a.LastName,
		&a.LastLogonAt, &a.LastLogonIP, &a.CreatedAt,
		&a.Vacation.Enabled, &a.Vacation.Subject, &a.Vacation.Message, &a.Vacation.Expires, &a.Vacation.ExpiresAt,
		&a.Forward.Enabled, &a.Forward.Address, &a.Forward.KeepOriginal, &a.Signature.Enabled, &a.Signature.Plain, &a.Signature.HTML)
	if errors.Is(err, sql.ErrNoRows) {
		err = ErrNotFound
	}
	return a, err
}

func (a *Account) validate() error {
	if a.AdminLevel < AdminUser || a.AdminLevel > AdminServer {
		return invalid("admin_level", "must be 0 (user), 1 (domain) or 2 (server), not %d", a.AdminLevel)
	}
	if err := nonNegative("max_size_mb", a.MaxSizeMB); err != nil {
		return err
	}
	if a.Forward.Enabled || a.Forward.Address != "" {
		if _, _, err := SplitAddress("forward_address", a.Forward.Address); err != nil {
			return err
		}
	}
	if a.Vacation.Expires && a.Vacation.ExpiresAt <= 0 {
		return invalid("vacation_expires_at", "an expiring auto-reply needs an expiry date")
	}
	return nil
}

// domainForAddress finds the domain an address must belong to: the domain
// whose primary name is the address's domain part.
func (s *Store) domainForAddress(ctx context.Context, q queryer, field, address string) (Domain, error) {
	_, domainName, err := SplitAddress(field, address)
	if err != nil {
		return Domain{}, err
	}
	d, err := scanDomain(s.queryRow(ctx, q, "SELECT "+domainColumns+" FROM domains WHERE name_lower = ?", Lower(domainName)))
	if errors.Is(err, ErrNotFound) {
		return Domain{}, invalid(field, "%s is not a local domain: add the domain first (a domain alias name cannot hold addresses)", domainName)
	}
	return d, err
}

// claimAddress reserves a local address for an account, alias or list. The
// addresses table's key keeps an address unique across all three, also when
// two administrators add the same address at the same moment.
func (s *Store) claimAddress(ctx context.Context, tx *sql.Tx, field, address string, kind int, domainID int64) error {
	var existing int
	err := s.queryRow(ctx, tx, "SELECT kind FROM addresses WHERE address_lower = ?", Lower(address)).Scan(&existing)
	if err == nil {
		return invalid(field, "%s is already used by %s", address, kindName(existing))
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return err
	}
	_, err = s.exec(ctx, tx, "INSERT INTO addresses (address_lower, kind, domain_id) VALUES (?, ?, ?)", Lower(address), kind, domainID)
	return s.duplicate(err, field, "%s is already in use", address)
}

func kindName(kind int) string {
	switch kind {
	case kindAccount:
		return "an account"
	case kindAlias:
		return "an alias"
	case kindList:
		return "a distribution list"
	}
	return "another object"
}

// checkDomainCount enforces a domain's "max number of ..." limit.
func (s *Store) checkDomainCount(ctx context.Context, tx *sql.Tx, field, table string, d Domain, limit int, what string) error {
	if limit == 0 {
		return nil
	}
	n, err := s.count(ctx, tx, "SELECT COUNT(*) FROM "+table+" WHERE domain_id = ?", d.ID)
	if err != nil {
		return err
	}
	if n >= limit {
		return invalid(field, "the domain %s allows at most %d %s", d.Name, limit, what)
	}
	return nil
}

// checkAccountSize enforces the domain's "Maximum size of accounts" and
// "Maximum size" (the sum of all accounts' maximum sizes). exceptID is the
// account being changed, left out of the sum.
func (s *Store) checkAccountSize(ctx context.Context, tx *sql.Tx, d Domain, sizeMB int, exceptID int64) error {
	if d.MaxAccountSizeMB > 0 && (sizeMB == 0 || sizeMB > d.MaxAccountSizeMB) {
		return invalid("max_size_mb", "the domain %s allows accounts of at most %d MB", d.Name, d.MaxAccountSizeMB)
	}
	if d.MaxSizeMB == 0 {
		return nil
	}
	if sizeMB == 0 {
		return invalid("max_size_mb", "the domain %s has a maximum size of %d MB, so every account needs a maximum size", d.Name, d.MaxSizeMB)
	}
	var total sql.NullInt64
	if err := s.queryRow(ctx, tx, "SELECT SUM(max_size_mb) FROM accounts WHERE domain_id = ? AND id <> ?", d.ID, exceptID).Scan(&total); err != nil {
		return err
	}
	if int(total.Int64)+sizeMB > d.MaxSizeMB {
		return invalid("max_size_mb", "the accounts of %s would together be %d MB, over the domain's maximum size of %d MB", d.Name, int(total.Int64)+sizeMB, d.MaxSizeMB)
	}
	return nil
}

// CreateAccount adds an account with its INBOX and the special folders
// (SpecialFolderNames: Sent, Drafts, Trash, Junk). The password is hashed
// (argon2id); an empty one is refused.
func (s *Store) CreateAccount(ctx context.Context, a Account, plainPassword string) (Account, error) {
	if err := a.validate(); err != nil {
		return Account{}, err
	}
	hash, err := password.Hash(plainPassword)
	if err != nil {
		return Account{}, invalid("password", "%s", strings.TrimPrefix(err.Error(), "password: "))
	}
	return s.insertAccount(ctx, a, hash)
}

// ImportAccount adds an account whose password comes from hMailServer's
// database (encryption 0 plain, 2 MD5, 3 salted SHA256); it is re-hashed at
// the first successful login.
func (s *Store) ImportAccount(ctx context.Context, a Account, encryption int, storedPassword string) (Account, error) {
	if err := a.validate(); err != nil {
		return Account{}, err
	}
	hash, err := password.FromLegacy(encryption, storedPassword)
	if err != nil {
		return Account{}, invalid("password", "%s", strings.TrimPrefix(err.Error(), "password: "))
	}
	return s.insertAccount(ctx, a, hash)
}

func (s *Store) insertAccount(ctx context.Context, a Account, hash string) (Account, error) {
	defer s.invalidateOwners() // after the commit (lookup_cache.go)
	a.CreatedAt = s.unix()
	a.passwordHash = hash
	err := s.tx(ctx, func(tx *sql.Tx) error {
		d, err := s.domainForAddress(ctx, tx, "address", a.Address)
		if err != nil {
			return err
		}
		a.DomainID = d.ID
		if err := s.checkDomainCount(ctx, tx, "address", "accounts", d, d.MaxAccounts, "accounts"); err != nil {
			return err
		}
		if err := s.checkAccountSize(ctx, tx, d, a.MaxSizeMB, 0); err != nil {
			return err
		}
		if err := s.claimAddress(ctx, tx, "address", a.Address, kindAccount, d.ID); err != nil {
			return err
		}
		a.ID, err = s.dialect.insert(ctx, tx, "accounts", []string{"domain_id", "address", "address_lower", "password", "active", "admin_level",
			"max_size_mb", "first_name", "last_name", "last_logon_at", "last_logon_ip", "pop3_lock", "pop3_lock_at",
			"vacation_enabled", "vacation_subject", "vacation_message", "vacation_expires", "vacation_expires_at",
			"forward_enabled", "forward_address", "forward_keep_original", "signature_enabled", "signature_plain", "signature_html", "created_at"},
			a.DomainID, a.Address, Lower(a.Address), hash, boolInt(a.Active), int(a.AdminLevel),
			a.MaxSizeMB, a.FirstName, a.LastName, 0, "", "", 0,
			boolInt(a.Vacation.Enabled), a.Vacation.Subject, a.Vacation.Message, boolInt(a.Vacation.Expires), a.Vacation.ExpiresAt,
			boolInt(a.Forward.Enabled), a.Forward.Address, boolInt(a.Forward.KeepOriginal),
			boolInt(a.Signature.Enabled), a.Signature.Plain, a.Signature.HTML, a.CreatedAt)
		if err != nil {
			return s.duplicate(err, "address", "%s is already in use", a.Address)
		}
		if _, err = s.createFolder(ctx, tx, a.ID, 0, "INBOX"); err != nil {
			return err
		}
		return s.createSpecialFolders(ctx, tx, a.ID)
	})
	if err != nil {
		return Account{}, err
	}
	return a, nil
}

// Account returns an account by id. The statement is prepared (on the
// pool, never inside a transaction): local delivery reads the account of
// every recipient.
func (s *Store) Account(ctx context.Context, id int64) (Account, error) {
	return scanAccount(s.queryRowPrepared(ctx, s.db, accountByIDQuery, id))
}

const accountByIDQuery = "SELECT " + accountColumns + " FROM accounts WHERE id = ?"

// AccountByAddress finds an account by its address, also when the address
// is written with one of the domain's alias names.
func (s *Store) AccountByAddress(ctx context.Context, address string) (Account, error) {
	a, err := scanAccount(s.queryRow(ctx, s.db, "SELECT "+accountColumns+" FROM accounts WHERE address_lower = ?", Lower(address)))
	if !errors.Is(err, ErrNotFound) {
		return a, err
	}
	canonical, ok, err := s.canonicalAddress(ctx, address)
	if err != nil || !ok {
		return Account{}, errors.Join(err, ErrNotFound)
	}
	return scanAccount(s.queryRow(ctx, s.db, "SELECT "+accountColumns+" FROM accounts WHERE address_lower = ?", Lower(canonical)))
}

// canonicalAddress rewrites local@alias-name to local@primary-name.
func (s *Store) canonicalAddress(ctx context.Context, address string) (string, bool, error) {
	at := strings.LastIndexByte(address, '@')
	if at < 0 {
		return "", false, nil
	}
	var primary string
	err := s.queryRow(ctx, s.db, "SELECT d.name FROM domain_names n JOIN domains d ON d.id = n.domain_id WHERE n.name_lower = ? AND n.is_primary = 0",
		Lower(address[at+1:])).Scan(&primary)
	if errors.Is(err, sql.ErrNoRows) {
		return "", false, nil
	}
	if err != nil {
		return "", false, err
	}
	return address[:at+1] + primary, true, nil
}

// AccountPage is one page of a domain's accounts.
type AccountPage struct {
	Accounts []Account
	Total    int
}

// Accounts lists a domain's accounts by address, a page at a time; filter,
// when set, keeps the addresses containing it.
func (s *Store) Accounts(ctx context.Context, domainID int64, filter string, limit, offset int) (AccountPage, error) {
	where, args := "domain_id = ?", []any{domainID}
	if filter != "" {
		where += " AND address_lower LIKE ? ESCAPE '!'"
		args = append(args, "%"+likeEscape(Lower(filter))+"%")
	}
	var page AccountPage
	total, err := s.count(ctx, s.db, "SELECT COUNT(*) FROM accounts WHERE "+where, args...)
	if err != nil {
		return page, err
	}
	page.Total = total
	if limit <= 0 {
		limit = 100
	}
	rows, err := s.query(ctx, s.db, s.dialect.Page("SELECT "+accountColumns+" FROM accounts WHERE "+where+" ORDER BY address_lower", limit, max(offset, 0)), args...)
	if err != nil {
		return page, err
	}
	defer rows.Close()
	for rows.Next() {
		a, err := scanAccount(rows)
		if err != nil {
			return page, err
		}
		page.Accounts = append(page.Accounts, a)
	}
	return page, rows.Err()
}

// likeEscape escapes LIKE's wildcards with "!", which every engine accepts as ESCAPE.
func likeEscape(s string) string {
	return strings.NewReplacer("!", "!!", "%", "!%", "_", "!_", "[", "![").Replace(s)
}

// UpdateAccount saves an account's settings (not its address or password).
func (s *Store) UpdateAccount(ctx context.Context, a Account) error {
	defer s.invalidateOwners() // after the commit (lookup_cache.go)
	if err := a.validate(); err != nil {
		return err
	}
	return s.tx(ctx, func(tx *sql.Tx) error {
		current, err := scanAccount(s.queryRow(ctx, tx, "SELECT "+accountColumns+" FROM accounts WHERE id = ?", a.ID))
		if err != nil {
			return err
		}
		if Lower(current.Address) != Lower(a.Address) {
			return invalid("address", "an account's address cannot be changed; add an alias for the new address instead")
		}
		d, err := scanDomain(s.queryRow(ctx, tx, "SELECT "+domainColumns+" FROM domains WHERE id = ?", current.DomainID))
		if err != nil {
			return err
		}
		if err := s.checkAccountSize(ctx, tx, d, a.MaxSizeMB, a.ID); err != nil {
			return err
		}
		_, err = s.exec(ctx, tx, `UPDATE accounts SET active = ?, admin_level = ?, max_size_mb = ?, first_name = ?, last_name = ?,
			vacation_enabled = ?, vacation_subject = ?, vacation_message = ?, vacation_expires = ?, vacation_expires_at = ?,
			forward_enabled = ?, forward_address = ?, forward_keep_original = ?, signature_enabled = ?, signature_plain = ?, signature_html = ?
			WHERE id = ?`,
			boolInt(a.Active), int(a.AdminLevel), a.MaxSizeMB, a.FirstName, a.LastName,
			boolInt(a.Vacation.Enabled), a.Vacation.Subject, a.Vacation.Message, boolInt(a.Vacation.Expires), a.Vacation.ExpiresAt,
			boolInt(a.Forward.Enabled), a.Forward.Address, boolInt(a.Forward.KeepOriginal),
			boolInt(a.Signature.Enabled), a.Signature.Plain, a.Signature.HTML, a.ID)
		return err
	})
}

// SetAccountPassword replaces an account's password.
func (s *Store) SetAccountPassword(ctx context.Context, id int64, plain string) error {
	hash, err := password.Hash(plain)
	if err != nil {
		return invalid("password", "%s", strings.TrimPrefix(err.Error(), "password: "))
	}
	res, err := s.exec(ctx, s.db, "UPDATE accounts SET password = ? WHERE id = ?", hash, id)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNotFound
	}
	return nil
}

// ErrBadCredentials is returned for a wrong address or password; callers
// must not tell the two apart to the client.
var ErrBadCredentials = errors.New("invalid user name or password")

// ErrAccountDisabled is returned when the password is right but the account
// or its domain is disabled.
var ErrAccountDisabled = errors.New("the account or its domain is disabled")

// Authenticate checks an address (with the domain's primary or alias name)
// and password. An imported hMailServer hash is replaced by a current one on
// the first successful login; the last logon time and address are recorded.
func (s *Store) Authenticate(ctx context.Context, address, plain, remoteIP string) (Account, error) {
	a, err := s.AccountByAddress(ctx, address)
	if errors.Is(err, ErrNotFound) {
		// Spend the same effort as a real check, so timing does not tell
		// which addresses exist.
		password.Verify(dummyHash, plain)
		return Account{}, ErrBadCredentials
	}
	if err != nil {
		return Account{}, err
	}
	now, ttl := s.now(), s.loginTTL(ctx)
	var ok, rehash bool
	if s.logins.passed(a.ID, a.passwordHash, plain, now, ttl) {
		ok = true // checked within AccountCacheTTL against this hash (login_cache.go)
	} else {
		ok, rehash = password.Verify(a.passwordHash, plain)
	}
	if !ok {
		return Account{}, ErrBadCredentials
	}
	d, err := s.Domain(ctx, a.DomainID)
	if err != nil {
		return Account{}, err
	}
	if !a.Active || !d.Active {
		return Account{}, ErrAccountDisabled
	}
	a.LastLogonAt, a.LastLogonIP = s.unix(), remoteIP
	if rehash {
		if hash, err := password.Hash(plain); err == nil {
			a.passwordHash = hash
		}
	}
	_, err = s.exec(ctx, s.db, "UPDATE accounts SET last_logon_at = ?, last_logon_ip = ?, password = ? WHERE id = ?",
		a.LastLogonAt, a.LastLogonIP, a.passwordHash, a.ID)
	if err == nil {
		s.logins.remember(a.ID, a.passwordHash, plain, now, ttl)
	}
	return a, err
}

// CredentialStamp changes whenever an account's password, its state or its
// domain's state changes. A session keeps the stamp from its login and
// compares it before each new message (hMailServer's "Login credentials no
// longer valid" check) without hashing the password again.
func (s *Store) CredentialStamp(ctx context.Context, accountID int64) (string, error) {
	var hash string
	var active, domainActive bool
	err := s.queryRow(ctx, s.db, "SELECT a.password, a.active, d.active FROM accounts a JOIN domains d ON d.id = a.domain_id WHERE a.id = ?", accountID).
		Scan(&hash, &active, &domainActive)
	if errors.Is(err, sql.ErrNoRows) {
		return "", ErrNotFound
	}
	if err != nil {
		return "", err
	}
	if !active || !domainActive {
		return "disabled", nil
	}
	sum := sha256.Sum256([]byte(hash))
	return hex.EncodeToString(sum[:8]), nil
}

// dummyHash is verified against when the address does not exist.
var dummyHash, _ = password.Hash("mailwright-no-such-account")

// DeleteAccount deletes an account with its folders, messages and files.
func (s *Store) DeleteAccount(ctx context.Context, id int64) error {
	defer s.invalidateOwners() // after the commit (lookup_cache.go)
	defer s.logins.forget()    // a new account may get the id on some engines
	a, err := s.Account(ctx, id)
	if err != nil {
		return err
	}
	var paths []string
	err = s.tx(ctx, func(tx *sql.Tx) error {
		paths, err = s.stringColumn(ctx, tx, "SELECT path FROM messages WHERE account_id = ?", id)
		if err != nil {
			return err
		}
		for _, stmt := range []string{
			"DELETE FROM message_recipients WHERE message_id IN (SELECT id FROM messages WHERE account_id = ?)",
			"DELETE FROM messages WHERE account_id = ?",
			"DELETE FROM imap_folders WHERE account_id = ?",
			"DELETE FROM account_group_members WHERE account_id = ?",
			"DELETE FROM imap_acl WHERE kind = 1 AND subject_id = ?", // 1: aclAccount
			"DELETE FROM accounts WHERE id = ?",
		} {
			if _, err := s.exec(ctx, tx, stmt, id); err != nil {
				return err
			}
		}
		_, err := s.exec(ctx, tx, "DELETE FROM addresses WHERE address_lower = ?", Lower(a.Address))
		return err
	})
	if err != nil {
		return err
	}
	dir, err := accountDir(a.Address)
	if err != nil {
		dir = "" // an address the file store refuses never had files
	}
	return s.removeFiles(paths, dir)
}
