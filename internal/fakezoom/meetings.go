package fakezoom

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"time"
)

// Meeting is a meeting the fake created, kept for assertions.
type Meeting struct {
	ID          int64 // meeting number, 11 digits
	UUID        string
	AccountID   string
	HostID      string
	HostEmail   string
	AssistantID string // the requesting user when schedule_for was used
	Topic       string
	Type        int
	StartTime   time.Time // zero for type 3 (no fixed time)
	Duration    int
	Timezone    string
	Agenda      string
	Password    string
	JoinURL     string
	StartURL    string // carries the host's zak= token: a credential
	CreatedAt   time.Time
	Settings    Settings
	Body        []byte // the request body exactly as sent
}

// Settings are the meeting settings the fake applied, after Zoom's rules
// (join_before_host only for types 2, 3 and 8, and never with waiting_room).
type Settings struct {
	JoinBeforeHost                    bool
	JBHTime                           int
	WaitingRoom                       bool
	AutoRecording                     string
	ApprovalType                      int
	Audio                             string
	EmailNotification                 bool
	AlternativeHosts                  string
	AlternativeHostsEmailNotification bool
	MuteUponEntry                     bool
	HostVideo                         bool
	ParticipantVideo                  bool
}

// joinHost is where join and start URLs point: clearly not real Zoom.
const joinHost = "https://fakezoom.example"

// handleCreate serves POST /v2/users/{userId}/meetings (meetingCreate).
func (s *Server) handleCreate(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		return // the client went away mid-body; nothing was created
	}
	m, hang, ok := s.create(w, r, r.PathValue("userId"), body)
	if !ok {
		return // already answered
	}
	if hang {
		s.drop(w, r)
		return
	}
	if s.opts.CreateLatency > 0 {
		t := time.NewTimer(s.opts.CreateLatency)
		defer t.Stop()
		select {
		case <-t.C:
		case <-r.Context().Done():
			return
		case <-s.done:
		}
	}
	writeJSON(w, http.StatusCreated, meetingJSONOf(m))
}

// drop holds a request until the client gives up or the server closes,
// then closes the connection without an answer.
func (s *Server) drop(w http.ResponseWriter, r *http.Request) {
	select {
	case <-r.Context().Done():
	case <-s.done:
	}
	if hj, ok := w.(http.Hijacker); ok {
		if conn, _, err := hj.Hijack(); err == nil {
			_ = conn.Close() // dropping it is the point
		}
	}
}

// create runs the checks in Zoom's order and records the meeting. ok is
// false when it has already written an error answer.
func (s *Server) create(w http.ResponseWriter, r *http.Request, userID string, body []byte) (m Meeting, hang, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.createCalls++
	if f, ok := s.popFaultLocked(OpCreate); ok {
		f.writeAPI(w)
		return m, false, false
	}
	g := s.authLocked(w, r)
	if g == nil {
		return m, false, false
	}
	host, ok := s.targetLocked(w, g, createScopes(), userID)
	if !ok {
		return m, false, false
	}
	if !host.CanHost {
		writeAPIError(w, http.StatusBadRequest, 3161,
			"Your user account is not allowed meeting hosting and scheduling capabilities.")
		return m, false, false
	}
	// The limit counts requests against the host, valid or not (MEET:
	// "applied against the userId of the meeting host").
	if within, reset := s.countDailyLocked(host.ID); !within {
		f := dailyLimitFault(s.opts.DailyLimit)
		f.headers.Set("Retry-After", reset.Format(time.RFC3339))
		f.writeAPI(w)
		return m, false, false
	}
	b, ferrs, err := parseCreate(body)
	switch {
	case errors.Is(err, errBadJSON):
		writeAPIError(w, http.StatusBadRequest, 300, "Request Body should be a valid JSON object.")
		return m, false, false
	case len(ferrs) > 0:
		writeJSON(w, http.StatusBadRequest, apiError{Code: 300, Message: "Validation Failed.", Errors: ferrs})
		return m, false, false
	}
	var assistant *User
	if b.ScheduleFor != nil && *b.ScheduleFor != "" {
		target := s.userLocked(g, *b.ScheduleFor)
		switch {
		case num(b.Type, 2) == 1:
			writeAPIError(w, http.StatusBadRequest, 3000, "Instant meetings do not support the `schedule_for` parameter, "+
				"and you can't schedule an instant meeting for another user.")
			return m, false, false
		case target == nil:
			writeAPIError(w, http.StatusBadRequest, 300, "The value that you entered in the `schedule_for` field is invalid. "+
				"Enter a valid value and try again.")
			return m, false, false
		}
		assistant, host = host, target
	}
	m = s.newMeetingLocked(host, assistant, b, body)
	s.meetings = append(s.meetings, m)
	close(s.changed)
	s.changed = make(chan struct{})
	if s.hang > 0 {
		s.hang--
		hang = true
	}
	return m, hang, true
}

// targetLocked resolves userID for an operation, checking scopes in Zoom's
// order: no relevant scope at all (4711), unknown user (1001/1010), then a
// non-admin scope used on someone else (4711).
func (s *Server) targetLocked(w http.ResponseWriter, g *grant, rule scopeRule, userID string) (*User, bool) {
	if !g.hasAny(rule) {
		writeMissingScope(w, rule)
		return nil, false
	}
	u := s.userLocked(g, userID)
	if u == nil {
		s.writeUnknownUser(w, userID)
		return nil, false
	}
	if !g.allowed(rule, u, userID) {
		writeMissingScope(w, rule)
		return nil, false
	}
	return u, true
}

func (s *Server) newMeetingLocked(host, assistant *User, b createBody, body []byte) Meeting {
	seq := int64(len(s.meetings) + 1)
	id := 85_310_000_000 + seq*7_919
	ids := strconv.FormatInt(id, 10)
	now := s.now().UTC().Truncate(time.Second)
	typ := num(b.Type, 2)
	tz := str(b.Timezone, host.Timezone)
	if tz == "" {
		tz = host.Timezone
	}
	m := Meeting{
		ID:        id,
		UUID:      derive("uuid", ids, 16) + "==",
		AccountID: host.AccountID,
		HostID:    host.ID,
		HostEmail: host.Email,
		Topic:     str(b.Topic, host.FirstName+" "+host.LastName+"'s Zoom Meeting"),
		Type:      typ,
		Duration:  num(b.Duration, 60),
		Timezone:  tz,
		Agenda:    str(b.Agenda, ""),
		Password:  str(b.Password, ""),
		CreatedAt: now,
		Body:      slices.Clone(body),
	}
	if assistant != nil {
		m.AssistantID = assistant.ID
	}
	switch typ {
	case 3: // no fixed time
	case 1:
		m.StartTime = now
	default:
		m.StartTime = now
		if b.StartTime != nil && *b.StartTime != "" {
			loc, err := time.LoadLocation(tz)
			if err != nil {
				loc = time.UTC // Zoom's tz list is wider than this machine's
			}
			if t, err := parseStartTime(*b.StartTime, loc); err == nil {
				m.StartTime = t.UTC()
			}
		}
	}
	if m.Password == "" {
		// default_password: the account requires passcodes, so Zoom makes one.
		m.Password = deriveAlnum("passcode", ids, 6)
	}
	m.JoinURL = fmt.Sprintf("%s/j/%d?pwd=%s", joinHost, id, derive("pwd", ids+m.Password, 24))
	m.StartURL = fmt.Sprintf("%s/s/%d?zak=%s", joinHost, id, derive("zak", ids, 48))
	m.Settings = applySettings(typ, b.Settings)
	return m
}

// applySettings fills defaults and Zoom's rules: join_before_host "is only
// used for scheduled meetings (2) or recurring meetings (3 and 8)" (MEET),
// and a waiting room disables it (reference §2).
func applySettings(typ int, in *createSettings) Settings {
	if in == nil {
		in = &createSettings{}
	}
	st := Settings{
		JoinBeforeHost:                    flag(in.JoinBeforeHost, false),
		JBHTime:                           num(in.JBHTime, 0),
		WaitingRoom:                       flag(in.WaitingRoom, false),
		AutoRecording:                     str(in.AutoRecording, "none"),
		ApprovalType:                      num(in.ApprovalType, 2),
		Audio:                             str(in.Audio, "both"),
		EmailNotification:                 flag(in.EmailNotification, true),
		AlternativeHosts:                  str(in.AlternativeHosts, ""),
		AlternativeHostsEmailNotification: flag(in.AlternativeHostsEmailNotification, true),
		MuteUponEntry:                     flag(in.MuteUponEntry, false),
		HostVideo:                         flag(in.HostVideo, false),
		ParticipantVideo:                  flag(in.ParticipantVideo, false),
	}
	if !slices.Contains([]int{2, 3, 8}, typ) || st.WaitingRoom {
		st.JoinBeforeHost = false
	}
	return st
}

// deriveAlnum is derive limited to letters and digits, for passcodes.
func deriveAlnum(label, value string, n int) string {
	const alphabet = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
	raw := derive(label, value, 32)
	out := make([]byte, n)
	for i := range out {
		out[i] = alphabet[int(raw[i])%len(alphabet)]
	}
	return string(out)
}
