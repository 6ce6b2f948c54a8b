// Package web is incident-bridge's HTTP server: health and readiness
// probes, Prometheus metrics, the Zoom OAuth callback of the install flow
// and Zoom's webhook endpoint (SPEC §7).
package web

import (
	"context"
	"errors"
	"fmt"
	stdlog "log"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/incident-bridge/incident-bridge/internal/incident"
)

// Defaults for the zero values of Options.
const (
	// DefaultShutdownTimeout bounds a graceful shutdown.
	DefaultShutdownTimeout = 10 * time.Second
	// DefaultWorkTimeout bounds the app work one request starts; it stays
	// under the deployment's 20 s budget for finishing work after SIGTERM.
	DefaultWorkTimeout = 15 * time.Second
)

// HTTP server limits. WriteTimeout is above DefaultWorkTimeout so a slow
// app call can still answer.
const (
	readHeaderTimeout = 5 * time.Second
	readTimeout       = 10 * time.Second
	writeTimeout      = 20 * time.Second
	idleTimeout       = 60 * time.Second
	maxHeaderBytes    = 32 << 10
)

// App is what the server needs from the app's use cases (*app.App
// satisfies it). Errors that are *incident.Problem carry a message for the
// user.
type App interface {
	// CompleteZoomConnect finishes the Zoom install flow with the state and
	// code of Zoom's redirect, returning the workspace now connected.
	CompleteZoomConnect(ctx context.Context, state, code string) (incident.TeamID, error)
	// ZoomDeauthorized forgets the tokens of a Zoom account that removed
	// the app, and tells the workspace's admins.
	ZoomDeauthorized(ctx context.Context, accountID string) error
}

// Options configure a Server. Only Addr is required.
type Options struct {
	// Addr is the listen address, e.g. ":8080" or "127.0.0.1:0".
	Addr string
	// Log receives the server's log lines; requests get a child logger in
	// their context.
	Log zerolog.Logger
	// Ready reports readiness for /readyz: nil means ready, an error's text
	// is the reason shown. Nil Ready means always ready.
	Ready func() error
	// Metrics serves /metrics; nil answers 404.
	Metrics http.Handler
	// App runs the OAuth callback and deauthorization; nil answers the
	// callback with 404 and ignores deauthorizations.
	App App
	// WebhookSecret is ZOOM_WEBHOOK_SECRET_TOKEN; empty refuses every
	// webhook with 503.
	WebhookSecret []byte
	// ClientID is the Zoom app's client ID: an app_deauthorized for another
	// client_id is ignored. Empty accepts any.
	ClientID string
	// Now is the clock for webhook timestamps; time.Now when nil.
	Now func() time.Time
	// Webhooks, when set, is told each webhook's event ("unknown" until
	// the signature is verified, then "endpoint.url_validation",
	// "app_deauthorized" or "other") and result ("ok", "ignored",
	// "unauthorized", "too_large", "bad_request", "disabled", "error").
	// metrics.(*Metrics).Webhook fits.
	Webhooks func(event, result string)
	// ShutdownTimeout bounds graceful shutdown; DefaultShutdownTimeout
	// when zero.
	ShutdownTimeout time.Duration
	// WorkTimeout bounds the app work of one request, which finishes even
	// if the client hangs up; DefaultWorkTimeout when zero.
	WorkTimeout time.Duration
}

// Server is the HTTP server. Call Listen, then Serve; or Run for both.
type Server struct {
	log             zerolog.Logger
	ready           func() error
	metrics         http.Handler
	app             App
	secret          []byte
	clientID        string
	now             func() time.Time
	webhooks        func(event, result string)
	shutdownTimeout time.Duration
	workTimeout     time.Duration

	addr    string
	handler http.Handler
	srv     *http.Server

	mu sync.Mutex
	ln net.Listener

	// inflight counts running handlers; closing, set under gate, stops new
	// ones from joining once shutdown waits for them.
	gate     sync.RWMutex
	closing  bool
	inflight sync.WaitGroup
}

// New builds a Server from opts. It does not listen yet.
func New(opts Options) *Server {
	s := &Server{
		log:             opts.Log,
		ready:           opts.Ready,
		metrics:         opts.Metrics,
		app:             opts.App,
		secret:          append([]byte(nil), opts.WebhookSecret...),
		clientID:        opts.ClientID,
		now:             opts.Now,
		webhooks:        opts.Webhooks,
		shutdownTimeout: opts.ShutdownTimeout,
		workTimeout:     opts.WorkTimeout,
		addr:            opts.Addr,
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.webhooks == nil {
		s.webhooks = func(string, string) {}
	}
	if s.shutdownTimeout <= 0 {
		s.shutdownTimeout = DefaultShutdownTimeout
	}
	if s.workTimeout <= 0 {
		s.workTimeout = DefaultWorkTimeout
	}
	s.handler = s.middleware(s.routes())
	s.srv = &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout:       readTimeout,
		WriteTimeout:      writeTimeout,
		IdleTimeout:       idleTimeout,
		MaxHeaderBytes:    maxHeaderBytes,
		ErrorLog:          stdlog.New(s.log.With().Str("component", "http").Logger(), "", 0),
	}
	return s
}

// routes maps the endpoints of SPEC §7.
func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", s.healthz)
	mux.HandleFunc("GET /readyz", s.readyz)
	mux.HandleFunc("GET /metrics", s.serveMetrics)
	mux.HandleFunc("GET /zoom/oauth/callback", s.oauthCallback)
	mux.HandleFunc("POST /zoom/webhook", s.webhook)
	return mux
}

// Handler returns the server's handler with its middleware, for tests
// that drive it without a listener.
func (s *Server) Handler() http.Handler { return s.handler }

// Listen opens the listener on Options.Addr, so Addr reports the real
// address (useful with port 0) before Serve.
func (s *Server) Listen() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ln != nil {
		return errors.New("http server: already listening")
	}
	ln, err := net.Listen("tcp", s.addr)
	if err != nil {
		return fmt.Errorf("http server: listen on %s: %w", s.addr, err)
	}
	s.ln = ln
	return nil
}

// Addr returns the address the server listens on, or Options.Addr before
// Listen.
func (s *Server) Addr() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ln == nil {
		return s.addr
	}
	return s.ln.Addr().String()
}

// Run listens and serves until ctx ends; see Serve.
func (s *Server) Run(ctx context.Context) error {
	if err := s.Listen(); err != nil {
		return err
	}
	return s.Serve(ctx)
}

// Serve serves on the listener opened by Listen (opening it if needed)
// until ctx ends. Then it stops accepting, lets requests in flight finish
// for up to ShutdownTimeout, closes what is left, waits for the remaining
// handlers (whose app work is bounded by WorkTimeout) and returns nil. It
// returns an error only if serving fails.
func (s *Server) Serve(ctx context.Context) error {
	s.mu.Lock()
	ln := s.ln
	s.mu.Unlock()
	if ln == nil {
		if err := s.Listen(); err != nil {
			return err
		}
		s.mu.Lock()
		ln = s.ln
		s.mu.Unlock()
	}

	served := make(chan error, 1)
	go func() { served <- s.srv.Serve(ln) }()

	select {
	case err := <-served:
		s.drain()
		if errors.Is(err, http.ErrServerClosed) {
			return nil
		}
		return fmt.Errorf("http server: %w", err)
	case <-ctx.Done():
	}

	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.shutdownTimeout)
	defer cancel()
	if err := s.srv.Shutdown(sctx); err != nil {
		s.log.Warn().Err(err).Dur("bound", s.shutdownTimeout).Msg("http requests still running after the shutdown bound; closing their connections")
		if err := s.srv.Close(); err != nil {
			s.log.Warn().Err(err).Msg("close http server")
		}
	}
	if err := <-served; err != nil && !errors.Is(err, http.ErrServerClosed) {
		s.drain()
		return fmt.Errorf("http server: %w", err)
	}
	s.drain()
	return nil
}

// drain stops new handlers from starting and waits for running ones.
func (s *Server) drain() {
	s.gate.Lock()
	s.closing = true
	s.gate.Unlock()
	s.inflight.Wait()
}

// middleware tracks handlers in flight, gives each request a child logger
// and logs it at debug level. It logs the path only: the OAuth callback's
// query holds the code and state.
func (s *Server) middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.gate.RLock()
		if s.closing {
			s.gate.RUnlock()
			http.Error(w, "shutting down", http.StatusServiceUnavailable)
			return
		}
		s.inflight.Add(1)
		s.gate.RUnlock()
		defer s.inflight.Done()

		start := time.Now()
		log := s.log.With().Str("http_method", r.Method).Str("http_path", r.URL.Path).Logger()
		r = r.WithContext(log.WithContext(r.Context()))
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(sw, r)
		log.Debug().Int("status", sw.status).Dur("duration", time.Since(start)).Msg("http request")
	})
}

// statusWriter remembers the status code written.
type statusWriter struct {
	http.ResponseWriter
	status int
	wrote  bool
}

// WriteHeader records the status and passes it on.
func (w *statusWriter) WriteHeader(code int) {
	if !w.wrote {
		w.status, w.wrote = code, true
	}
	w.ResponseWriter.WriteHeader(code)
}

// Write marks the header written (200 if not set) and passes the bytes on.
func (w *statusWriter) Write(b []byte) (int, error) {
	w.wrote = true
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// workContext returns the context for app work started by r: it survives
// the client hanging up (the work, once started, should finish) and is
// bounded by WorkTimeout.
func (s *Server) workContext(r *http.Request) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(r.Context()), s.workTimeout)
}
