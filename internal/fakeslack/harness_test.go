package fakeslack

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"
)

const (
	alice UserID = "UALICE001"
	bob   UserID = "UBOB00001"
	carol UserID = "UCAROL001"
)

// newServer starts a fake with three people and fast timeouts.
func newServer(t *testing.T, opts Options) *Server {
	t.Helper()
	if opts.Users == nil {
		opts.Users = []User{
			{ID: alice, Name: "alice", RealName: "Alice A", Email: "alice@example.com", IsAdmin: true},
			{ID: bob, Name: "bob", RealName: "Bob B", Email: "bob@example.com"},
			{ID: carol, Name: "carol", RealName: "Carol C", Email: "carol@example.com", IsOwner: true},
		}
	}
	if opts.AckTimeout == 0 {
		opts.AckTimeout = time.Second
	}
	s := New(opts)
	t.Cleanup(s.Close)
	return s
}

// apiClient is slack-go's Web API client pointed at the fake.
func apiClient(s *Server) *slack.Client {
	return slack.New(s.BotToken(), slack.OptionAPIURL(s.APIURL()), slack.OptionAppLevelToken(s.AppToken()))
}

// handler decides, for each Socket Mode request, whether to ack and with
// what payload.
type handler func(api *slack.Client, evt socketmode.Event) (ack bool, payload any)

// testApp is a minimal app built on slack-go's real socketmode client.
type testApp struct {
	api  *slack.Client
	sm   *socketmode.Client
	seen chan socketmode.Event // every event carrying a request, hello included

	mu    sync.Mutex
	hello int
}

// startApp runs slack-go's socketmode client against s until the test ends.
func startApp(t *testing.T, s *Server, h handler, opts ...socketmode.Option) *testApp {
	t.Helper()
	api := apiClient(s)
	a := &testApp{api: api, sm: socketmode.New(api, opts...), seen: make(chan socketmode.Event, 200)}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { _ = a.sm.RunContext(ctx) }) // returns ctx's error at cleanup
	wg.Go(func() {
		for {
			select {
			case <-ctx.Done():
				return
			case evt := <-a.sm.Events:
				if evt.Request == nil {
					continue
				}
				if evt.Type == socketmode.EventTypeHello {
					a.mu.Lock()
					a.hello++
					a.mu.Unlock()
				} else if h != nil {
					if ack, payload := h(api, evt); ack {
						_ = a.sm.Ack(*evt.Request, payload) // the test asserts on what the fake recorded
					}
				}
				select {
				case a.seen <- evt:
				default:
				}
			}
		}
	})
	t.Cleanup(func() { cancel(); wg.Wait() })
	return a
}

func (a *testApp) hellos() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.hello
}

// next returns the next request event of typ, failing after a deadline.
func (a *testApp) next(t *testing.T, typ socketmode.EventType) socketmode.Event {
	t.Helper()
	timeout := time.After(MustTimeout)
	for {
		select {
		case evt := <-a.seen:
			if evt.Type == typ {
				return evt
			}
		case <-timeout:
			t.Fatalf("no %s event within %s", typ, MustTimeout)
			return socketmode.Event{}
		}
	}
}

// ackAll acknowledges everything without a payload.
func ackAll(*slack.Client, socketmode.Event) (bool, any) { return true, nil }

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), MustTimeout)
	t.Cleanup(cancel)
	return ctx
}
