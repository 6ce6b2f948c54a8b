package app

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"sync"
	"time"

	"github.com/rs/zerolog"
	"golang.org/x/sync/singleflight"

	"github.com/incident-bridge/incident-bridge/internal/incident"
)

// Errors the Slack port returns, for the use cases to branch on.
var (
	// ErrNameTaken: a channel of that name exists.
	ErrNameTaken = errors.New("channel name taken")
	// ErrBookmarkGone: the bookmark was removed from the channel.
	ErrBookmarkGone = errors.New("bookmark not found")
	// ErrUnknownUser: Slack does not know the user.
	ErrUnknownUser = errors.New("unknown slack user")
)

// Metrics receives counts the app produces. Nil fields are fine.
type Metrics interface {
	MeetingCreated(trigger incident.Trigger, host incident.HostKind)
	MeetingFailed(reason string)
	ZoomConnectionBroken()
}

// Deps are what App needs from the outside.
type Deps struct {
	Store Store
	Zoom  Zoom
	Slack Slack
	// Connections is set for the install flow (no ZOOM_ACCOUNT_ID).
	Connections ZoomConnections
	// Connector runs the install flow; nil in Server-to-Server mode.
	Connector Connector
	Metrics   Metrics
	Log       zerolog.Logger
	// Admins are ADMIN_USER_IDS: users who may change settings besides
	// workspace admins and owners.
	Admins []incident.UserID
	// Now is the clock; time.Now when nil.
	Now func() time.Time
	// ClaimWait bounds how long a request waits for another attempt's
	// meeting; 40 s when zero.
	ClaimWait time.Duration
}

// App runs the use cases.
type App struct {
	store   Store
	zoom    Zoom
	slack   Slack
	conns   ZoomConnections
	connect Connector
	metrics Metrics
	log     zerolog.Logger
	admins  map[incident.UserID]bool
	now     func() time.Time

	claimWait time.Duration
	rejected  *rejectedHosts
	flights   singleflight.Group
	headers   headerLocks

	mu   sync.Mutex
	subs []func(context.Context, ChangeEvent)
}

// New builds the App and subscribes automatic meeting creation to the
// stream of incident changes.
func New(d Deps) *App {
	a := &App{
		store: d.Store, zoom: d.Zoom, slack: d.Slack, conns: d.Connections, connect: d.Connector,
		metrics: d.Metrics, log: d.Log, now: d.Now, claimWait: d.ClaimWait,
		admins: map[incident.UserID]bool{},
	}
	if a.now == nil {
		a.now = time.Now
	}
	if a.claimWait == 0 {
		a.claimWait = 40 * time.Second
	}
	if a.metrics == nil {
		a.metrics = noMetrics{}
	}
	for _, u := range d.Admins {
		a.admins[u] = true
	}
	a.rejected = newRejectedHosts(10*time.Minute, a.now)
	a.Subscribe(a.autoMeeting)
	return a
}

// newAttemptID returns a random ID for a meeting claim.
func newAttemptID() string {
	b := make([]byte, 8)
	if _, err := rand.Read(b); err != nil {
		panic("crypto/rand failed: " + err.Error()) // cannot happen on supported platforms
	}
	return hex.EncodeToString(b)
}

// logger returns the per-request logger carried by ctx, or the app's.
func (a *App) logger(ctx context.Context) *zerolog.Logger {
	if l := zerolog.Ctx(ctx); l.GetLevel() != zerolog.Disabled {
		return l
	}
	return &a.log
}

type noMetrics struct{}

func (noMetrics) MeetingCreated(incident.Trigger, incident.HostKind) {}
func (noMetrics) MeetingFailed(string)                               {}
func (noMetrics) ZoomConnectionBroken()                              {}
