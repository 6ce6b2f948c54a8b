package app

import (
	"context"
	"slices"

	"github.com/incident-bridge/incident-bridge/internal/incident"
)

// ChangeEvent is one committed incident change: a declaration, an adoption,
// a field edit or a resolution. Edits that change nothing are not changes
// and are never published; channel renames and archives are not incident
// changes either.
type ChangeEvent struct {
	Incident incident.Incident // as committed
	Kind     incident.EventKind
	By       incident.UserID
	Changes  []incident.Change
}

// Subscribe adds fn to the subscribers of incident changes. Each committed
// change is handed to every subscriber exactly once, after it is committed
// (and after its header and channel line are posted). Subscribers run in
// order, on the goroutine that made the change, so a slow subscriber delays
// the answer to the person who made it.
func (a *App) Subscribe(fn func(context.Context, ChangeEvent)) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.subs = append(a.subs, fn)
}

// publish hands a committed change to every subscriber once.
func (a *App) publish(ctx context.Context, ev ChangeEvent) {
	a.mu.Lock()
	subs := slices.Clone(a.subs)
	a.mu.Unlock()
	for _, fn := range subs {
		fn(ctx, ev)
	}
}
