package rpc

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"connectrpc.com/connect"

	"github.com/mailwright/mailwright/rpc/gen/mailwright/admin/v1/adminv1connect"
	"github.com/mailwright/mailwright/server/policy"
	"github.com/mailwright/mailwright/store"
)

// Engine is the running mail server as the API sees it. server.Server
// implements it; the rpc package does not import the server package.
type Engine interface {
	// Running reports whether the listeners and delivery are up.
	Running() bool
	// StartServices and StopServices start and stop the listeners and
	// delivery inside the running process (the manual's Status page).
	StartServices() error
	StopServices() error
	// Status gives the figures of the Status page.
	Status(ctx context.Context) EngineStatus
	// WakeQueue makes the delivery queue look for due messages now.
	WakeQueue()
}

// EngineStatus is what the Status page shows.
type EngineStatus struct {
	Version          string
	Started          time.Time
	DatabaseType     string
	DatabaseLocation string
	Counters         map[string]int64 // "accepted", "delivered", "failed", "spam", "virus", ...
	Sessions         map[string]int64 // open sessions per protocol: "smtp", "pop3", "imap", "admin"
	Warnings         []string         // the configuration self-test
}

// Options are what the API serves over.
type Options struct {
	Store  *store.Store
	Engine Engine
	// AdministratorPassword returns the main administrator's password hash
	// from mailwright.ini ([Security] AdministratorPassword).
	AdministratorPassword func() string
	Ranges                *policy.Ranges
	AutoBan               *policy.AutoBan
	Log                   *slog.Logger
	// LogHub is where FollowLog reads the live log from.
	LogHub *LogHub
	// SessionTTL is how long a login lasts without use (default 30 minutes).
	SessionTTL time.Duration
}

// Server is the API's server side: every service, behind the
// authentication interceptor.
type Server struct {
	opts     Options
	sessions *sessions
}

// The service implementations. Each lives in its own file
// (service_<name>.go); the embedded Unimplemented handler answers
// CodeUnimplemented for any method a file does not define.
type (
	authService struct {
		*Server
		adminv1connect.UnimplementedAuthServiceHandler
	}
	domainService struct {
		*Server
		adminv1connect.UnimplementedDomainServiceHandler
	}
	accountService struct {
		*Server
		adminv1connect.UnimplementedAccountServiceHandler
	}
	aliasService struct {
		*Server
		adminv1connect.UnimplementedAliasServiceHandler
	}
	listService struct {
		*Server
		adminv1connect.UnimplementedDistributionListServiceHandler
	}
	groupService struct {
		*Server
		adminv1connect.UnimplementedGroupServiceHandler
	}
	publicFolderService struct {
		*Server
		adminv1connect.UnimplementedPublicFolderServiceHandler
	}
	ipRangeService struct {
		*Server
		adminv1connect.UnimplementedIPRangeServiceHandler
	}
	portService struct {
		*Server
		adminv1connect.UnimplementedPortServiceHandler
	}
	settingsService struct {
		*Server
		adminv1connect.UnimplementedSettingsServiceHandler
	}
	routeService struct {
		*Server
		adminv1connect.UnimplementedRouteServiceHandler
	}
	queueService struct {
		*Server
		adminv1connect.UnimplementedQueueServiceHandler
	}
	statusService struct {
		*Server
		adminv1connect.UnimplementedStatusServiceHandler
	}
)

// Handler returns the HTTP handler serving every service.
func (s *Server) Handler() http.Handler {
	opts := []connect.HandlerOption{connect.WithInterceptors(s.authInterceptor())}
	mux := http.NewServeMux()
	for _, mount := range []func() (string, http.Handler){
		func() (string, http.Handler) {
			return adminv1connect.NewAuthServiceHandler(&authService{Server: s}, opts...)
		},
		func() (string, http.Handler) {
			return adminv1connect.NewDomainServiceHandler(&domainService{Server: s}, opts...)
		},
		func() (string, http.Handler) {
			return adminv1connect.NewAccountServiceHandler(&accountService{Server: s}, opts...)
		},
		func() (string, http.Handler) {
			return adminv1connect.NewAliasServiceHandler(&aliasService{Server: s}, opts...)
		},
		func() (string, http.Handler) {
			return adminv1connect.NewDistributionListServiceHandler(&listService{Server: s}, opts...)
		},
		func() (string, http.Handler) {
			return adminv1connect.NewGroupServiceHandler(&groupService{Server: s}, opts...)
		},
		func() (string, http.Handler) {
			return adminv1connect.NewPublicFolderServiceHandler(&publicFolderService{Server: s}, opts...)
		},
		func() (string, http.Handler) {
			return adminv1connect.NewIPRangeServiceHandler(&ipRangeService{Server: s}, opts...)
		},
		func() (string, http.Handler) {
			return adminv1connect.NewPortServiceHandler(&portService{Server: s}, opts...)
		},
		func() (string, http.Handler) {
			return adminv1connect.NewSettingsServiceHandler(&settingsService{Server: s}, opts...)
		},
		func() (string, http.Handler) {
			return adminv1connect.NewRouteServiceHandler(&routeService{Server: s}, opts...)
		},
		func() (string, http.Handler) {
			return adminv1connect.NewQueueServiceHandler(&queueService{Server: s}, opts...)
		},
		func() (string, http.Handler) {
			return adminv1connect.NewStatusServiceHandler(&statusService{Server: s}, opts...)
		},
	} {
		path, h := mount()
		mux.Handle(path, h)
	}
	return mux
}

// audit writes a change to the application log with who made it.
func (s *Server) audit(ctx context.Context, action string, args ...any) {
	p, _ := PrincipalFrom(ctx)
	s.opts.Log.Info("admin: "+action, append([]any{"by", p.Username}, args...)...)
}
