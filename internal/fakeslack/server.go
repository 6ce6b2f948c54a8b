package fakeslack

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"time"
)

// DefaultScopes returns the least-privilege bot scopes of reference/slack.md
// §10, the default grant.
func DefaultScopes() []string {
	return []string{
		"commands", "chat:write", "channels:manage", "channels:join", "channels:read",
		"pins:write", "bookmarks:write", "bookmarks:read", "users:read", "users:read.email",
	}
}

// DefaultEvents returns the bot events of reference/slack.md §10, the default
// subscription.
func DefaultEvents() []string {
	return []string{
		"member_joined_channel", "channel_rename", "channel_archive", "channel_unarchive",
		"group_rename", "group_archive", "group_unarchive", "app_uninstalled", "tokens_revoked",
	}
}

// Options configure a fake Slack. Zero values get the defaults named below.
type Options struct {
	Team      Team
	BotToken  string // default "xoxb-fake"
	AppToken  string // default "xapp-fake"
	BotUserID UserID // default "UBOT00001"
	BotID     string // default "B00000001"
	BotName   string // default "incident-bridge"
	AppID     string // default "A00000001"
	Users     []User
	// Scopes are the bot token's granted scopes; default: the least-privilege
	// list of reference/slack.md §10.
	Scopes []string
	// Events are the subscribed bot events; default: member_joined_channel,
	// channel_rename, channel_archive, channel_unarchive, group_rename,
	// group_archive, group_unarchive, app_uninstalled, tokens_revoked.
	Events []string
	// Command is the slash command SlashCommand sends; default "/incident".
	Command string
	// VerificationToken is the deprecated "token" field of payloads.
	VerificationToken string
	// AckTimeout is how long Slack waits for an ack; default 3 s.
	AckTimeout time.Duration
	// PingInterval is how often each socket gets a WebSocket PING; default 2 s
	// (slack-go drops a socket after 30 s without one).
	PingInterval time.Duration
	// TriggerTTL is how long a trigger_id stays usable; default 3 s.
	TriggerTTL time.Duration
	// Now is the clock for timestamps and trigger/response_url expiry;
	// default time.Now. Ack deadlines always use real time.
	Now func() time.Time
}

func (o *Options) setDefaults() {
	def := func(s *string, v string) {
		if *s == "" {
			*s = v
		}
	}
	def((*string)(&o.Team.ID), "T0001")
	def(&o.Team.Domain, "fake-workspace")
	def(&o.Team.Name, "Fake Workspace")
	def(&o.BotToken, "xoxb-fake")
	def(&o.AppToken, "xapp-fake")
	def((*string)(&o.BotUserID), "UBOT00001")
	def(&o.BotID, "B00000001")
	def(&o.BotName, "incident-bridge")
	def(&o.AppID, "A00000001")
	def(&o.Command, "/incident")
	def(&o.VerificationToken, "fake-verification-token")
	if o.Scopes == nil {
		o.Scopes = DefaultScopes()
	}
	if o.Events == nil {
		o.Events = DefaultEvents()
	}
	if o.AckTimeout <= 0 {
		o.AckTimeout = 3 * time.Second
	}
	if o.PingInterval <= 0 {
		o.PingInterval = 2 * time.Second
	}
	if o.TriggerTTL <= 0 {
		o.TriggerTTL = 3 * time.Second
	}
	if o.Now == nil {
		o.Now = time.Now
	}
}

// Server is a fake Slack workspace with one installed app: the Web API under
// APIURL, Socket Mode, and a driver API for the people in it. All its state
// belongs to the instance; it is safe for concurrent use.
type Server struct {
	opts    Options
	http    *httptest.Server
	methods map[string]methodSpec
	done    chan struct{} // closed by Close
	wg      sync.WaitGroup
	kick    chan struct{} // wakes the dispatcher

	mu           sync.Mutex
	closed       bool
	revoked      bool          // Uninstall revoked the bot token
	changed      chan struct{} // closed and replaced on every state change
	seq          uint64
	lastMicro    int64
	users        map[UserID]*User
	userOrder    []UserID
	channels     map[ChannelID]*channel
	channelOrder []ChannelID
	ephemerals   map[UserID][]*ephemeral
	triggers     map[string]*trigger
	responseURLs map[string]*responseURL
	views        map[string]*view
	stacks       map[UserID][]string
	bookmarkSeq  int
	calls        []Call
	faults       map[string][]fault
	tickets      map[string]time.Time
	conns        []*conn
	connects     int
	rr           int
	queue        []*envelope
	pending      map[string]*envelope
	finished     map[string]*envelope
	events       map[string]*sentEvent
	acks         []Ack
	failures     []Failure
}

// New starts a fake Slack on 127.0.0.1. Call Close to stop it.
func New(opts Options) *Server {
	opts.setDefaults()
	s := &Server{
		opts:         opts,
		done:         make(chan struct{}),
		kick:         make(chan struct{}, 1),
		changed:      make(chan struct{}),
		users:        map[UserID]*User{},
		channels:     map[ChannelID]*channel{},
		ephemerals:   map[UserID][]*ephemeral{},
		triggers:     map[string]*trigger{},
		responseURLs: map[string]*responseURL{},
		views:        map[string]*view{},
		stacks:       map[UserID][]string{},
		faults:       map[string][]fault{},
		tickets:      map[string]time.Time{},
		pending:      map[string]*envelope{},
		finished:     map[string]*envelope{},
		events:       map[string]*sentEvent{},
	}
	s.methods = s.methodTable()
	s.addUserLocked(User{ID: opts.BotUserID, Name: opts.BotName, RealName: opts.BotName, IsBot: true})
	for _, u := range opts.Users {
		s.addUserLocked(u)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/api/", s.serveAPI)
	mux.HandleFunc("/link/", s.serveLink)
	mux.HandleFunc("/hooks/", s.serveResponseURL)
	s.http = httptest.NewServer(mux)
	s.wg.Go(s.dispatchLoop)
	return s
}

// Close stops the server, closes every socket and waits for all of the
// fake's goroutines.
func (s *Server) Close() {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.closed = true
	conns := slices.Clone(s.conns)
	s.conns = nil
	s.mu.Unlock()
	close(s.done)
	for _, c := range conns {
		c.close(closeGoingAway, "server closing")
	}
	s.http.Close()
	s.wg.Wait()
}

// APIURL is the Web API base, ending in "/api/" (slack-go appends method
// names to it; pass it to slack.OptionAPIURL).
func (s *Server) APIURL() string { return s.http.URL + "/api/" }

// URL is the server's base URL, "http://127.0.0.1:<port>".
func (s *Server) URL() string { return s.http.URL }

// BotToken returns the bot token the fake accepts.
func (s *Server) BotToken() string { return s.opts.BotToken }

// AppToken returns the app-level token the fake accepts.
func (s *Server) AppToken() string { return s.opts.AppToken }

// BotUserID returns the app's bot user ID.
func (s *Server) BotUserID() UserID { return s.opts.BotUserID }

// TeamID returns the workspace ID.
func (s *Server) TeamID() TeamID { return s.opts.Team.ID }

// AddUser adds a person (or bot) to the workspace and returns its ID.
func (s *Server) AddUser(u User) UserID {
	s.mu.Lock()
	defer s.mu.Unlock()
	id := s.addUserLocked(u)
	s.notifyLocked()
	return id
}

func (s *Server) addUserLocked(u User) UserID {
	if u.ID == "" {
		u.ID = UserID(s.nextIDLocked("U"))
	}
	if u.Name == "" {
		u.Name = strings.ToLower(string(u.ID))
	}
	if u.RealName == "" {
		u.RealName = u.Name
	}
	if _, ok := s.users[u.ID]; !ok {
		s.userOrder = append(s.userOrder, u.ID)
	}
	s.users[u.ID] = &u
	return u.ID
}

// AddChannel creates a pre-existing public channel (like #general) with
// these members, without any event. Include BotUserID() to make the app a
// member. It returns the channel's ID, or the existing channel's ID if the
// name is taken.
func (s *Server) AddChannel(name string, members ...UserID) ChannelID {
	s.mu.Lock()
	defer s.mu.Unlock()
	if ch := s.channelByNameLocked(name); ch != nil {
		return ch.id
	}
	creator := UserID("")
	if len(members) > 0 {
		creator = members[0]
	}
	ch := s.newChannelLocked(name, creator, false)
	for _, m := range members {
		ch.addMember(m)
	}
	s.notifyLocked()
	return ch.id
}

// nextIDLocked returns prefix followed by a fresh upper-case ID, like Slack's.
func (s *Server) nextIDLocked(prefix string) string {
	s.seq++
	return fmt.Sprintf("%s%08X", prefix, s.seq)
}

// shortIDLocked returns a short fresh ID like the block_ids Slack assigns.
func (s *Server) shortIDLocked() string {
	const alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	s.seq++
	n := s.seq
	var b []byte
	for n > 0 || len(b) < 4 {
		b = append(b, alphabet[n%62])
		n /= 62
	}
	return string(b)
}

// nextTSLocked returns a message timestamp "<unix>.<6 digits>", unique and
// increasing across the workspace.
func (s *Server) nextTSLocked() string {
	m := s.opts.Now().UnixMicro()
	if m <= s.lastMicro {
		m = s.lastMicro + 1
	}
	s.lastMicro = m
	return fmt.Sprintf("%d.%06d", m/1_000_000, m%1_000_000)
}

// notifyLocked wakes everyone waiting for a state change.
func (s *Server) notifyLocked() {
	close(s.changed)
	s.changed = make(chan struct{})
}

// randomHex returns n random bytes as hex, for unguessable tickets and URLs.
func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go 1.24+)
	return hex.EncodeToString(b)
}

// newUUID returns a random RFC 4122 version 4 UUID, the shape of envelope_id.
func newUUID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go 1.24+)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}
