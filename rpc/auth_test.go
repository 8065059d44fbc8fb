package rpc

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"connectrpc.com/connect"

	adminv1 "github.com/mailwright/mailwright/rpc/gen/mailwright/admin/v1"
	"github.com/mailwright/mailwright/store"
)

func TestLoginGivesTheCallersIdentity(t *testing.T) {
	api := newTestAPI(t)
	user := api.CreateAccount(t, "user@example.com", "user-pass-1", store.AdminUser)
	domainAdmin := api.CreateAccount(t, "boss@example.com", "boss-pass-1", store.AdminDomain)

	tests := []struct {
		name      string
		username  string
		password  string
		want      *adminv1.WhoAmIResponse
		wantLevel store.AdminLevel
	}{
		{"empty_user_name_is_the_main_administrator", "", testAdminPassword,
			&adminv1.WhoAmIResponse{Username: "Administrator", Level: adminv1.AdminLevel_ADMIN_LEVEL_SERVER}, store.AdminServer},
		{"Administrator_is_the_main_administrator", "Administrator", testAdminPassword,
			&adminv1.WhoAmIResponse{Username: "Administrator", Level: adminv1.AdminLevel_ADMIN_LEVEL_SERVER}, store.AdminServer},
		{"administrator_in_lower_case_is_the_main_administrator", "administrator", testAdminPassword,
			&adminv1.WhoAmIResponse{Username: "Administrator", Level: adminv1.AdminLevel_ADMIN_LEVEL_SERVER}, store.AdminServer},
		{"account_logs_in_with_its_user_level", "user@example.com", "user-pass-1",
			&adminv1.WhoAmIResponse{Username: "user@example.com", Level: adminv1.AdminLevel_ADMIN_LEVEL_USER,
				AccountId: user.ID, DomainId: user.DomainID}, store.AdminUser},
		{"account_address_is_case_insensitive", "BOSS@Example.com", "boss-pass-1",
			&adminv1.WhoAmIResponse{Username: "boss@example.com", Level: adminv1.AdminLevel_ADMIN_LEVEL_DOMAIN,
				AccountId: domainAdmin.ID, DomainId: domainAdmin.DomainID}, store.AdminDomain},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := testContext(t)
			c := api.Dial(t, DialOptions{})
			resp, err := c.Auth.Login(ctx, connect.NewRequest(&adminv1.LoginRequest{Username: tt.username, Password: tt.password}))
			if err != nil {
				t.Fatalf("Login: %v", err)
			}
			if len(resp.Msg.Token) < 40 {
				t.Errorf("token %q is too short to be 32 random bytes", resp.Msg.Token)
			}
			if got := time.Until(time.Unix(resp.Msg.ExpiresAt, 0)); got < 25*time.Minute || got > 31*time.Minute {
				t.Errorf("session expires in %v, want about 30 minutes", got)
			}
			if store.AdminLevel(resp.Msg.Level) != tt.wantLevel {
				t.Errorf("Login level = %v, want %v", resp.Msg.Level, tt.wantLevel)
			}
			c.SetToken(resp.Msg.Token)
			who, err := c.Auth.WhoAmI(ctx, connect.NewRequest(&adminv1.WhoAmIRequest{}))
			if err != nil {
				t.Fatalf("WhoAmI: %v", err)
			}
			if who.Msg.Username != tt.want.Username || who.Msg.Level != tt.want.Level ||
				who.Msg.AccountId != tt.want.AccountId || who.Msg.DomainId != tt.want.DomainId {
				t.Errorf("WhoAmI = %v, want %v", who.Msg, tt.want)
			}
			if !api.LogContains("admin: login", "username="+tt.want.Username, "ip=127.0.0.1") {
				t.Errorf("the login of %s from 127.0.0.1 is not in the log", tt.want.Username)
			}
		})
	}
}

func TestLoginFailuresAllLookTheSame(t *testing.T) {
	api := newTestAPI(t)
	api.CreateAccount(t, "user@example.com", "user-pass-1", store.AdminUser)
	// Auto-ban would turn the third failure into PermissionDenied.
	if err := api.Store.SetSetting(testContext(t), "AutoBanOnLogonFailure", "0"); err != nil {
		t.Fatal(err)
	}

	tests := []struct{ name, username, password string }{
		{"wrong_password_of_an_account", "user@example.com", "wrong"},
		{"unknown_account", "nobody@example.com", "user-pass-1"},
		{"unknown_domain", "user@elsewhere.example", "user-pass-1"},
		{"wrong_administrator_password", "Administrator", "wrong"},
		{"empty_password", "user@example.com", ""},
	}
	var first string
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := api.Dial(t, DialOptions{})
			err := c.Login(testContext(t), tt.username, tt.password)
			if connect.CodeOf(err) != connect.CodeUnauthenticated {
				t.Fatalf("Login = %v, want Unauthenticated", err)
			}
			msg := err.Error()
			if !strings.Contains(msg, "invalid user name or password") {
				t.Errorf("message %q does not say invalid user name or password", msg)
			}
			if first == "" {
				first = msg
			} else if msg != first {
				t.Errorf("message %q differs from %q: it tells the failures apart", msg, first)
			}
			if !api.LogContains("admin: login failed", "ip=127.0.0.1") {
				t.Error("the failed login is not in the log")
			}
		})
	}
}

func TestLoginOfDisabledAccountIsRefused(t *testing.T) {
	api := newTestAPI(t)
	a := api.CreateAccount(t, "user@example.com", "user-pass-1", store.AdminServer)
	a.Active = false
	if err := api.Store.UpdateAccount(testContext(t), a); err != nil {
		t.Fatal(err)
	}
	err := api.Dial(t, DialOptions{}).Login(testContext(t), "user@example.com", "user-pass-1")
	if connect.CodeOf(err) != connect.CodePermissionDenied {
		t.Fatalf("Login = %v, want PermissionDenied", err)
	}
}

func TestCallsWithoutAValidSessionAreUnauthenticated(t *testing.T) {
	const ttl = 300 * time.Millisecond
	api := newTestAPI(t, func(o *Options) { o.SessionTTL = ttl })
	whoAmI := func(t *testing.T, c *Client) error {
		_, err := c.Auth.WhoAmI(testContext(t), connect.NewRequest(&adminv1.WhoAmIRequest{}))
		return err
	}

	tests := []struct {
		name    string
		prepare func(t *testing.T, c *Client)
	}{
		{"no_token", func(t *testing.T, c *Client) {}},
		{"made_up_token", func(t *testing.T, c *Client) { c.SetToken("bm90LWEtcmVhbC10b2tlbi1hdC1hbGwtbm90LWEtcmVhbC10b2tlbg") }},
		{"expired_token", func(t *testing.T, c *Client) {
			if err := c.Login(testContext(t), "", testAdminPassword); err != nil {
				t.Fatal(err)
			}
			time.Sleep(ttl + 100*time.Millisecond)
		}},
		{"logged_out_token", func(t *testing.T, c *Client) {
			if err := c.Login(testContext(t), "", testAdminPassword); err != nil {
				t.Fatal(err)
			}
			token := c.Token()
			if err := c.Logout(testContext(t)); err != nil {
				t.Fatalf("Logout: %v", err)
			}
			c.SetToken(token)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := api.Dial(t, DialOptions{})
			tt.prepare(t, c)
			if err := whoAmI(t, c); connect.CodeOf(err) != connect.CodeUnauthenticated {
				t.Errorf("WhoAmI = %v, want Unauthenticated", err)
			}
			_, err := c.Domains.ListDomains(testContext(t), connect.NewRequest(&adminv1.ListDomainsRequest{}))
			if connect.CodeOf(err) != connect.CodeUnauthenticated {
				t.Errorf("ListDomains = %v, want Unauthenticated", err)
			}
			for _, http1 := range []bool{false, true} {
				streamer := api.Dial(t, DialOptions{HTTP1: http1})
				streamer.SetToken(c.Token())
				stream, err := streamer.Status.FollowLog(testContext(t), connect.NewRequest(&adminv1.FollowLogRequest{}))
				if err != nil {
					t.Fatalf("FollowLog: %v", err)
				}
				if stream.Receive() {
					t.Errorf("FollowLog (HTTP/1.1 only: %v) sent a line without a login", http1)
				}
				if connect.CodeOf(stream.Err()) != connect.CodeUnauthenticated {
					t.Errorf("FollowLog (HTTP/1.1 only: %v) = %v, want Unauthenticated", http1, stream.Err())
				}
				stream.Close()
			}
		})
	}

	t.Run("use_keeps_the_session_alive", func(t *testing.T) {
		c := api.AsAdmin(t)
		for range 6 {
			time.Sleep(ttl / 3)
			if err := whoAmI(t, c); err != nil {
				t.Fatalf("WhoAmI within the sliding expiry: %v", err)
			}
		}
	})
}

func TestAutoBanAfterFailedLogins(t *testing.T) {
	api := newTestAPI(t)
	api.CreateAccount(t, "user@example.com", "user-pass-1", store.AdminUser)
	attacker := api.Dial(t, DialOptions{Dialer: dialerFrom("127.0.0.2")})
	ctx := testContext(t)

	// MaxInvalidLogonAttempts is 3 by default.
	for i := range 3 {
		err := attacker.Login(ctx, "user@example.com", "guess")
		if connect.CodeOf(err) != connect.CodeUnauthenticated {
			t.Fatalf("failed login %d = %v, want Unauthenticated", i+1, err)
		}
	}
	for _, tt := range []struct{ name, username, password string }{
		{"account_with_right_password", "user@example.com", "user-pass-1"},
		{"administrator_with_right_password", "", testAdminPassword},
	} {
		t.Run("banned_address_is_refused/"+tt.name, func(t *testing.T) {
			err := attacker.Login(ctx, tt.username, tt.password)
			if connect.CodeOf(err) != connect.CodePermissionDenied {
				t.Fatalf("Login from the banned address = %v, want PermissionDenied", err)
			}
		})
	}
	t.Run("other_addresses_still_log_in", func(t *testing.T) {
		api.As(t, "user@example.com", "user-pass-1")
	})
	t.Run("ban_is_an_auto_ban_range", func(t *testing.T) {
		ranges, err := api.Store.IPRanges(ctx)
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, r := range ranges {
			if strings.HasPrefix(r.Name, "Auto-ban:") && r.Lower.String() == "127.0.0.2" {
				found = true
			}
		}
		if !found {
			t.Errorf("no auto-ban range for 127.0.0.2 among %v", ranges)
		}
	})
}

func TestSuccessfulLoginForgetsEarlierFailures(t *testing.T) {
	api := newTestAPI(t)
	c := api.Dial(t, DialOptions{Dialer: dialerFrom("127.0.0.3")})
	ctx := testContext(t)
	for round := range 3 {
		for range 2 {
			if err := c.Login(ctx, "", "wrong"); connect.CodeOf(err) != connect.CodeUnauthenticated {
				t.Fatalf("round %d: failed login = %v", round, err)
			}
		}
		if err := c.Login(ctx, "", testAdminPassword); err != nil {
			t.Fatalf("round %d: login after two failures = %v, want success", round, err)
		}
	}
}

func TestBearerToken(t *testing.T) {
	tests := []struct{ header, want string }{
		{"Bearer abc", "abc"},
		{"bearer abc", "abc"},
		{"  Bearer   abc  ", "abc"},
		{"Basic abc", ""},
		{"Bearer", ""},
		{"", ""},
	}
	for _, tt := range tests {
		h := make(map[string][]string)
		if tt.header != "" {
			h["Authorization"] = []string{tt.header}
		}
		if got := bearerToken(h); got != tt.want {
			t.Errorf("bearerToken(%q) = %q, want %q", tt.header, got, tt.want)
		}
	}
}

func TestSessionsAreBoundedAndExpire(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	s := newSessions(time.Minute, 3)
	s.now = func() time.Time { return now }
	var tokens []string
	for i := range 4 {
		token, _ := s.create(Principal{Username: string(rune('a' + i))}, "")
		tokens = append(tokens, token)
		now = now.Add(time.Second)
	}
	if s.count() != 3 {
		t.Fatalf("%d sessions kept, want the bound 3", s.count())
	}
	if _, _, ok := s.lookup(tokens[0]); ok {
		t.Error("the least recently used session survived a full table")
	}
	if p, _, ok := s.lookup(tokens[3]); !ok || p.Username != "d" {
		t.Errorf("lookup of the newest session = %v, %v", p, ok)
	}
	now = now.Add(time.Minute)
	if _, _, ok := s.lookup(tokens[3]); ok {
		t.Error("a session unused for its TTL is still valid")
	}
	if s.count() != 0 {
		t.Errorf("%d expired sessions left after a sweep", s.count())
	}
}

func TestAccountSessionFollowsTheAccount(t *testing.T) {
	api := newTestAPI(t)
	whoAmI := func(t *testing.T, c *Client) (*adminv1.WhoAmIResponse, error) {
		resp, err := c.Auth.WhoAmI(testContext(t), connect.NewRequest(&adminv1.WhoAmIRequest{}))
		if err != nil {
			return nil, err
		}
		return resp.Msg, nil
	}
	tests := []struct {
		name   string
		change func(t *testing.T, a store.Account)
		// wantLevel is the level after the change; -1 when the session
		// must have ended.
		wantLevel adminv1.AdminLevel
	}{
		{"changed_admin_level_applies_at_once", func(t *testing.T, a store.Account) {
			a.AdminLevel = store.AdminUser
			if err := api.Store.UpdateAccount(testContext(t), a); err != nil {
				t.Fatal(err)
			}
		}, adminv1.AdminLevel_ADMIN_LEVEL_USER},
		{"changed_password_ends_the_session", func(t *testing.T, a store.Account) {
			if err := api.Store.SetAccountPassword(testContext(t), a.ID, "new-pass-2"); err != nil {
				t.Fatal(err)
			}
		}, -1},
		{"disabled_account_ends_the_session", func(t *testing.T, a store.Account) {
			a.Active = false
			if err := api.Store.UpdateAccount(testContext(t), a); err != nil {
				t.Fatal(err)
			}
		}, -1},
		{"deleted_account_ends_the_session", func(t *testing.T, a store.Account) {
			if err := api.Store.DeleteAccount(testContext(t), a.ID); err != nil {
				t.Fatal(err)
			}
		}, -1},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			address := fmt.Sprintf("admin%d@example.com", i)
			a := api.CreateAccount(t, address, "old-pass-1", store.AdminServer)
			c := api.As(t, address, "old-pass-1")
			if who, err := whoAmI(t, c); err != nil || who.Level != adminv1.AdminLevel_ADMIN_LEVEL_SERVER {
				t.Fatalf("WhoAmI before the change = %v, %v", who, err)
			}
			tt.change(t, a)
			who, err := whoAmI(t, c)
			if tt.wantLevel < 0 {
				if connect.CodeOf(err) != connect.CodeUnauthenticated {
					t.Fatalf("WhoAmI after the change = %v, %v; want Unauthenticated", who, err)
				}
				return
			}
			if err != nil || who.Level != tt.wantLevel {
				t.Fatalf("WhoAmI after the change = %v, %v; want level %v", who, err, tt.wantLevel)
			}
		})
	}
}

func TestOversizedCredentialsAreAFailedLogin(t *testing.T) {
	api := newTestAPI(t)
	c := api.Dial(t, DialOptions{})
	tests := []struct{ name, username, password string }{
		{"long_user_name", strings.Repeat("a", 300) + "@example.com", "x"},
		{"long_password", "", strings.Repeat("p", 2000)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := c.Login(testContext(t), tt.username, tt.password)
			if connect.CodeOf(err) != connect.CodeUnauthenticated || !strings.Contains(err.Error(), "invalid user name or password") {
				t.Errorf("Login = %v, want Unauthenticated invalid user name or password", err)
			}
		})
	}
}
