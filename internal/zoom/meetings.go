package zoom

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/oauth2"

	"github.com/incident-bridge/incident-bridge/internal/incident"
)

// Path templates, used as Op in errors.
const (
	opCreateMeeting = "POST /users/{userId}/meetings"
	opListMeetings  = "GET /users/{userId}/meetings"
)

const (
	meetingScheduled = 2 // Zoom meeting type: scheduled (see reference/zoom.md §2)
	meetingDuration  = 60
	maxTopic         = 200
	maxAgenda        = 2000
	// listedAgenda is how much of an agenda Zoom returns when listing
	// meetings; a marker must lie within it to be found again.
	listedAgenda = 250
	listPageSize = 300
	// maxListPages bounds FindMeeting's walk through a host's meetings.
	maxListPages = 10
)

// createMeetingRequest is the body of POST /users/{userId}/meetings.
type createMeetingRequest struct {
	Topic     string          `json:"topic"`
	Type      int             `json:"type"`
	StartTime string          `json:"start_time"`
	Duration  int             `json:"duration"`
	Timezone  string          `json:"timezone"`
	Agenda    string          `json:"agenda,omitempty"`
	Settings  meetingSettings `json:"settings"`
}

// meetingSettings are the settings we send on create.
type meetingSettings struct {
	JoinBeforeHost    bool   `json:"join_before_host"`
	JBHTime           int    `json:"jbh_time"`
	WaitingRoom       bool   `json:"waiting_room"`
	AutoRecording     string `json:"auto_recording"`
	ApprovalType      int    `json:"approval_type"`
	EmailNotification bool   `json:"email_notification"`
}

// meetingID is a Zoom meeting number, sent as an int64 by the REST API and
// as a string by webhooks; kept as its decimal text.
type meetingID string

// UnmarshalJSON accepts a JSON number or string of decimal digits.
func (m *meetingID) UnmarshalJSON(b []byte) error {
	s := string(b)
	if strings.HasPrefix(s, `"`) {
		if err := json.Unmarshal(b, &s); err != nil {
			return fmt.Errorf("meeting id: %w", err)
		}
	}
	if s == "null" {
		return nil
	}
	if s == "" || strings.Trim(s, "0123456789") != "" {
		return errors.New("meeting id is not a decimal integer")
	}
	*m = meetingID(s)
	return nil
}

// createdMeeting is the part of the 201 answer we keep. Everything else
// (about 70 settings, h323/pstn passwords, dynamic_host_key) is ignored.
type createdMeeting struct {
	ID       meetingID `json:"id"`
	JoinURL  string    `json:"join_url"`
	Password string    `json:"password"`
	StartURL string    `json:"start_url"`
}

// Meeting is one meeting as Zoom lists it (GET /users/{userId}/meetings).
// Listed meetings carry neither the passcode nor the start URL, and the
// agenda is cut to 250 characters.
type Meeting struct {
	ID        string // meeting number, decimal
	UUID      string
	HostID    string
	Topic     string
	Agenda    string
	Type      int
	StartTime time.Time
	Duration  int
	JoinURL   string
}

// listedMeeting is one item of the list answer.
type listedMeeting struct {
	ID        meetingID `json:"id"`
	UUID      string    `json:"uuid"`
	HostID    string    `json:"host_id"`
	Topic     string    `json:"topic"`
	Agenda    string    `json:"agenda"`
	Type      int       `json:"type"`
	StartTime string    `json:"start_time"`
	Duration  int       `json:"duration"`
	JoinURL   string    `json:"join_url"`
}

// meetingList is one page of the list answer.
type meetingList struct {
	NextPageToken string          `json:"next_page_token"`
	Meetings      []listedMeeting `json:"meetings"`
}

// truncate cuts s to n runes.
func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n])
}

// userPath is "users/{userId}" with userID path-escaped.
func userPath(userID string) string { return "users/" + url.PathEscape(userID) }

// createBody builds the create request for req, starting at req.Start (now
// when zero), in UTC.
func createBody(req incident.MeetingRequest, now time.Time) createMeetingRequest {
	start := req.Start
	if start.IsZero() {
		start = now
	}
	rec := string(req.Options.Recording)
	if rec == "" {
		rec = string(incident.RecordingNone)
	}
	return createMeetingRequest{
		Topic:     truncate(req.Topic, maxTopic),
		Type:      meetingScheduled,
		StartTime: start.UTC().Format("2006-01-02T15:04:05Z"),
		Duration:  meetingDuration,
		Timezone:  "UTC",
		Agenda:    truncate(req.Agenda, maxAgenda),
		Settings: meetingSettings{
			JoinBeforeHost:    req.Options.JoinBeforeHost,
			JBHTime:           0, // any time before the host
			WaitingRoom:       req.Options.WaitingRoom,
			AutoRecording:     rec,
			ApprovalType:      2, // no registration
			EmailNotification: false,
		},
	}
}

// markerRE finds the attempt marker the app writes into agendas.
var markerRE = regexp.MustCompile(`attempt [A-Za-z0-9_-]+`)

// Marker returns the reconciliation marker in agenda: the first
// "attempt <id>" (id of letters, digits, '_' or '-'), provided it lies in
// the first 250 bytes, the part of an agenda Zoom returns when listing
// meetings. It returns "" when there is none, in which case a create whose
// outcome is unknown cannot be checked.
func Marker(agenda string) string {
	loc := markerRE.FindStringIndex(agenda)
	if loc == nil || loc[1] > listedAgenda {
		return ""
	}
	return agenda[loc[0]:loc[1]]
}

// isIDByte reports whether b can be part of an attempt ID.
func isIDByte(b byte) bool {
	return b == '_' || b == '-' || b >= '0' && b <= '9' || b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z'
}

// containsMarker reports whether agenda holds marker as a whole token, so
// "attempt ab" does not match "attempt abc".
func containsMarker(agenda, marker string) bool {
	if marker == "" {
		return false
	}
	for i := 0; ; {
		j := strings.Index(agenda[i:], marker)
		if j < 0 {
			return false
		}
		start, end := i+j, i+j+len(marker)
		before := start == 0 || !isIDByte(agenda[start-1]) || !isIDByte(marker[0])
		after := end == len(agenda) || !isIDByte(agenda[end]) || !isIDByte(marker[len(marker)-1])
		if before && after {
			return true
		}
		i = start + 1
	}
}

// CreateMeeting creates req's meeting, hosted by req.HostEmail, as a
// scheduled meeting (type 2) starting at req.Start (now when zero), 60
// minutes, UTC, with req.Options. The result has Zoom's start URL, a host
// credential to show the host only.
//
// Zoom's create is not idempotent, so a create is retried only when
// nothing can have been made. Do retries a 429 (within the Client's
// bounds) and a request that was never sent. Any 5xx, and a timeout or
// broken connection once the request was sent, may have made the meeting
// (reference/zoom.md §2: "outcome unknown"): CreateMeeting then waits a
// backoff, so that a create still running at Zoom may finish, and looks
// for the meeting among the host's meetings by the agenda's Marker. Found,
// it returns it (without start URL or passcode, which listings lack); the
// listing proves it absent, it tries again (3 tries in all); when it cannot
// look (no marker, the token may not list meetings, the listing failed) it
// returns an error wrapping incident.ErrOutcomeUnknown and does not try
// again. A 2xx whose body cannot be read is likewise looked up, and never
// retried. After the last try, a failure the listing proved made nothing is
// returned as it is.
func (c *Client) CreateMeeting(ctx context.Context, ts oauth2.TokenSource, req incident.MeetingRequest) (incident.CreatedMeeting, error) {
	if req.HostEmail == "" {
		return incident.CreatedMeeting{}, errors.New("zoom create meeting: no host email")
	}
	marker := Marker(req.Agenda)
	body := createBody(req, c.now())
	for try := 1; ; try++ {
		m, err := c.createOnce(ctx, ts, req.HostEmail, body)
		if err == nil {
			return m, nil
		}
		var de *DecodeError
		created := errors.As(err, &de) // Zoom said 2xx: it exists
		if !created && (isUnavailable(err) || (!isServerError(err) && !isSentTransport(err))) {
			// Nothing was created: a 4xx, a request never sent, or a
			// 503 (Do has sent it again as often as it may).
			return incident.CreatedMeeting{}, err
		}
		wait := c.backoff(try)
		if !created && c.canWait(ctx, wait) {
			// A create Zoom is still working on may show up in the
			// listing only once it is done.
			if serr := c.sleep(ctx, wait); serr != nil {
				return incident.CreatedMeeting{}, fmt.Errorf("%w: %w", incident.ErrOutcomeUnknown, err)
			}
		}
		found, ferr := c.lookFor(ctx, ts, req.HostEmail, marker)
		switch {
		case ferr == nil && found != nil:
			return *found, nil
		case ferr != nil:
			return incident.CreatedMeeting{}, fmt.Errorf("%w: %w (could not check: %w)", incident.ErrOutcomeUnknown, err, ferr)
		case created:
			return incident.CreatedMeeting{}, fmt.Errorf("%w: %w", incident.ErrOutcomeUnknown, err)
		}
		// The host's meetings show none with our marker: nothing was made.
		if try >= c.maxTries || ctx.Err() != nil {
			return incident.CreatedMeeting{}, err
		}
	}
}

// createOnce posts one create (Do still retries 429s and a refused token).
func (c *Client) createOnce(ctx context.Context, ts oauth2.TokenSource, host string, body createMeetingRequest) (incident.CreatedMeeting, error) {
	r, err := c.NewRequest(ctx, http.MethodPost, userPath(host)+"/meetings", body)
	if err != nil {
		return incident.CreatedMeeting{}, err
	}
	var out createdMeeting
	if err := c.Do(ts, opCreateMeeting, r, &out); err != nil {
		return incident.CreatedMeeting{}, err
	}
	if out.ID == "" || out.JoinURL == "" {
		return incident.CreatedMeeting{}, &DecodeError{Op: opCreateMeeting, HTTPStatus: http.StatusCreated, Err: errors.New("answer lacks id or join_url")}
	}
	return incident.CreatedMeeting{ID: string(out.ID), JoinURL: out.JoinURL, Passcode: out.Password, StartURL: out.StartURL}, nil
}

// lookFor finds the meeting marked marker among host's meetings; nil, nil
// when it is not there.
func (c *Client) lookFor(ctx context.Context, ts oauth2.TokenSource, host, marker string) (*incident.CreatedMeeting, error) {
	if marker == "" {
		return nil, errors.New("agenda has no attempt marker")
	}
	m, found, err := c.FindMeeting(ctx, ts, host, marker)
	if err != nil || !found {
		return nil, err
	}
	return &m, nil
}

// ListOptions filter ListMeetings.
type ListOptions struct {
	// Type is Zoom's list type: "scheduled" (the default: every unexpired
	// meeting, live and upcoming ones included), "upcoming", "live"…
	Type string
	// MaxPages bounds the pages fetched (300 meetings each); 0 means 10.
	MaxPages int
}

// ListMeetings returns userID's meetings (ID, email or "me"), following
// next_page_token up to opt.MaxPages pages. It needs the
// meeting:read:list_meetings:admin scope (classic meeting:read:admin) to
// list another user's meetings.
func (c *Client) ListMeetings(ctx context.Context, ts oauth2.TokenSource, userID string, opt ListOptions) ([]Meeting, error) {
	if opt.Type == "" {
		opt.Type = "scheduled"
	}
	if opt.MaxPages <= 0 {
		opt.MaxPages = maxListPages
	}
	var all []Meeting
	next := ""
	for page := 0; page < opt.MaxPages; page++ {
		q := url.Values{"type": {opt.Type}, "page_size": {fmt.Sprint(listPageSize)}}
		if next != "" {
			q.Set("next_page_token", next)
		}
		r, err := c.NewRequest(ctx, http.MethodGet, userPath(userID)+"/meetings?"+q.Encode(), nil)
		if err != nil {
			return nil, err
		}
		var out meetingList
		if err := c.Do(ts, opListMeetings, r, &out); err != nil {
			return nil, err
		}
		for _, m := range out.Meetings {
			lm := Meeting{
				ID: string(m.ID), UUID: m.UUID, HostID: m.HostID, Topic: m.Topic, Agenda: m.Agenda,
				Type: m.Type, Duration: m.Duration, JoinURL: m.JoinURL,
			}
			if t, err := time.Parse(time.RFC3339, m.StartTime); err == nil {
				lm.StartTime = t
			}
			all = append(all, lm)
		}
		if out.NextPageToken == "" {
			return all, nil
		}
		next = out.NextPageToken
	}
	return all, nil
}

// FindMeeting looks among hostEmail's unexpired meetings for one whose
// agenda holds marker as a whole token (an attempt ID, or "attempt <id>").
// The meeting found has no start URL and no passcode: listings carry
// neither. found is false when no listed meeting matches.
func (c *Client) FindMeeting(ctx context.Context, ts oauth2.TokenSource, hostEmail, marker string) (m incident.CreatedMeeting, found bool, err error) {
	if marker == "" {
		return incident.CreatedMeeting{}, false, errors.New("zoom find meeting: empty marker")
	}
	list, err := c.ListMeetings(ctx, ts, hostEmail, ListOptions{})
	if err != nil {
		return incident.CreatedMeeting{}, false, err
	}
	for _, lm := range list {
		if containsMarker(lm.Agenda, marker) {
			return incident.CreatedMeeting{ID: lm.ID, JoinURL: lm.JoinURL}, true, nil
		}
	}
	return incident.CreatedMeeting{}, false, nil
}
