// Package bot is incident-bridge's Slack front door: it reads Socket Mode
// envelopes, acknowledges each at once, parses it into an app request and
// runs the work off the connection's path. Poster is the app's way back to
// Slack.
package bot

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"
	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"
	"golang.org/x/sync/errgroup"

	"github.com/incident-bridge/incident-bridge/internal/app"
)

// workTimeout bounds the work one envelope starts; it survives shutdown so
// a click in flight finishes (SIGTERM waits for it).
const workTimeout = 60 * time.Second

// ShutdownBound is how long Run waits for work in flight once it is told to
// stop. Work still running then is abandoned; the store's claims keep that
// safe (SPEC §5.6).
const ShutdownBound = 20 * time.Second

// Observer receives the bot's measurements. Nil is fine.
type Observer interface {
	Acked(kind string, latency time.Duration)
	Connected(up bool)
}

// Bot is the Socket Mode side of the app.
type Bot struct {
	sm     *socketmode.Client
	api    *slack.Client
	app    *app.App
	poster *Poster
	log    zerolog.Logger
	obs    Observer

	connected atomic.Bool
	inflight  sync.WaitGroup
	running   chan struct{} // a slot per job running; see maxRunning
}

// maxRunning and admissionWait pace the work of a burst. Every envelope is
// acked at once whatever they are, but the work it starts shares the two
// cores with the loop that reads and acks the next envelopes: a hundred
// jobs started together slow every ack in the burst (BenchmarkAckLatency).
// So a job first waits for one of maxRunning slots, but never longer than
// admissionWait: a slot is held for the whole job, including time spent
// waiting on Zoom or Slack, and a slow Zoom must not queue the whole
// workspace behind it. The cost is at most admissionWait before work starts.
const (
	maxRunning    = 4
	admissionWait = 25 * time.Millisecond
)

// New builds a Bot over a Socket Mode client and the app.
func New(sm *socketmode.Client, api *slack.Client, a *app.App, p *Poster, log zerolog.Logger, obs Observer) *Bot {
	if obs == nil {
		obs = nopObserver{}
	}
	return &Bot{sm: sm, api: api, app: a, poster: p, log: log, obs: obs, running: make(chan struct{}, maxRunning)}
}

// Connected reports whether the Socket Mode connection is up.
func (b *Bot) Connected() bool { return b.connected.Load() }

// job is what routing decided for one envelope: the ack payload (nil for
// an empty ack), and the work to run after the ack, if any. ackLater jobs
// compute their ack in run (view submissions that need a check first).
type job struct {
	ack      any
	ackLater bool
	run      func(ctx context.Context, ack func(any))
}

// Run reads envelopes until ctx ends, then waits for the work in flight.
func (b *Bot) Run(ctx context.Context) error {
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		if err := b.sm.RunContext(gctx); err != nil && gctx.Err() == nil {
			return fmt.Errorf("socket mode: %w", err)
		}
		return nil
	})
	g.Go(func() error {
		defer b.waitInflight()
		for {
			select {
			case <-gctx.Done():
				return nil
			case evt, ok := <-b.sm.Events:
				if !ok {
					return nil
				}
				b.handle(gctx, evt)
			}
		}
	})
	err := g.Wait()
	b.setConnected(false)
	return err
}

// waitInflight waits for the work in flight, at most ShutdownBound.
func (b *Bot) waitInflight() {
	done := make(chan struct{})
	go func() { b.inflight.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(ShutdownBound):
		b.log.Warn().Dur("bound", ShutdownBound).Msg("stopped waiting for work in flight")
	}
}

// handle acks one envelope and starts its work. It never blocks on I/O.
func (b *Bot) handle(ctx context.Context, evt socketmode.Event) {
	switch evt.Type {
	case socketmode.EventTypeConnecting:
		b.log.Info().Msg("connecting to slack")
		return
	case socketmode.EventTypeConnected:
		b.setConnected(true)
		b.log.Info().Msg("connected to slack")
		return
	case socketmode.EventTypeConnectionError, socketmode.EventTypeDisconnect:
		b.setConnected(false)
		b.log.Warn().Str("event", string(evt.Type)).Msg("slack connection lost; reconnecting")
		return
	case socketmode.EventTypeInvalidAuth:
		b.setConnected(false)
		b.log.Error().Msg("slack refused the app token (invalid_auth); check SLACK_APP_TOKEN")
		return
	case socketmode.EventTypeErrorBadMessage:
		b.ackBadMessage(evt)
		return
	case socketmode.EventTypeHello, socketmode.EventTypeIncomingError, socketmode.EventTypeErrorWriteFailed:
		return
	}
	if evt.Request == nil {
		return
	}
	start := time.Now()
	req := *evt.Request
	log := b.log.With().Str("envelope_id", req.EnvelopeID).Str("kind", req.Type).Logger()
	j := b.route(evt)
	acked := false
	ack := func(payload any) {
		if acked {
			return
		}
		acked = true
		if err := b.sm.Ack(req, payload); err != nil {
			log.Error().Err(err).Msg("ack failed")
		}
		b.obs.Acked(req.Type, time.Since(start))
	}
	if !j.ackLater {
		ack(j.ack)
	}
	if j.run == nil {
		return
	}
	b.inflight.Add(1)
	go func() {
		defer b.inflight.Done()
		wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), workTimeout)
		defer cancel()
		wctx = log.WithContext(wctx)
		select {
		case b.running <- struct{}{}:
			defer func() { <-b.running }()
		case <-time.After(admissionWait):
			// Every slot is taken, perhaps by jobs waiting on a slow
			// Zoom: run anyway rather than queue behind them.
		}
		defer func() {
			if r := recover(); r != nil {
				log.Error().Interface("panic", r).Msg("handler panicked")
			}
			ack(nil) // an ackLater job that failed still acks
		}()
		j.run(wctx, ack)
	}()
}

// ackBadMessage acks an envelope slack-go could not decode (e.g. an event
// type it does not know), so Slack does not redeliver it three times.
func (b *Bot) ackBadMessage(evt socketmode.Event) {
	bad, ok := evt.Data.(*socketmode.ErrorBadMessage)
	if !ok {
		return
	}
	id := envelopeID(bad.Message)
	if id == "" {
		return
	}
	if err := b.sm.Ack(socketmode.Request{EnvelopeID: id}); err != nil {
		b.log.Warn().Err(err).Msg("ack undecodable envelope failed")
	}
	b.log.Warn().Err(bad.Cause).Str("envelope_id", id).Msg("acked an envelope that could not be decoded")
}

func (b *Bot) setConnected(up bool) {
	if b.connected.Swap(up) != up {
		b.obs.Connected(up)
	}
}

type nopObserver struct{}

func (nopObserver) Acked(string, time.Duration) {}
func (nopObserver) Connected(bool)              {}
