package store

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"time"

	"go.etcd.io/bbolt"

	"github.com/incident-bridge/incident-bridge/internal/app"
	"github.com/incident-bridge/incident-bridge/internal/incident"
)

// recordVersion is the "v" written into every record. Records carry their
// own JSON names so renaming a Go field never changes the file format; enums
// are stored as the incident package's append-only ints.
const recordVersion = 1

// versioned reads just a record's version.
type versioned struct {
	V int `json:"v"`
}

type incidentRecord struct {
	V               int            `json:"v"`
	Team            string         `json:"team"`
	Number          int64          `json:"number"`
	Title           string         `json:"title"`
	Description     string         `json:"description,omitempty"`
	Severity        int            `json:"severity"`
	Status          int            `json:"status"`
	Commander       string         `json:"commander,omitempty"`
	CustomerImpact  bool           `json:"customer_impact,omitempty"`
	Channel         string         `json:"channel,omitempty"`
	ChannelName     string         `json:"channel_name,omitempty"`
	ChannelArchived bool           `json:"channel_archived,omitempty"`
	HeaderTS        string         `json:"header_ts,omitempty"`
	DeclaredBy      string         `json:"declared_by,omitempty"`
	DeclaredAt      time.Time      `json:"declared_at,omitzero"`
	Meeting         *meetingRecord `json:"meeting,omitempty"`
	BookmarkID      string         `json:"bookmark_id,omitempty"`
	AutoFailures    []string       `json:"auto_failures,omitempty"`
	AutoCheck       int            `json:"auto_check,omitempty"`
	Timeline        []eventRecord  `json:"timeline,omitempty"`
	// Claim is the outstanding meeting-creation claim, nil when none.
	Claim *claimRecord `json:"claim,omitempty"`
	// Unsettled are attempts whose outcome Zoom left unknown.
	Unsettled []claimRecord `json:"unsettled,omitempty"`
}

type meetingRecord struct {
	ID        string    `json:"id"`
	JoinURL   string    `json:"join_url"`
	Passcode  string    `json:"passcode,omitempty"`
	HostKind  int       `json:"host_kind"`
	HostUser  string    `json:"host_user,omitempty"`
	CreatedBy string    `json:"created_by,omitempty"`
	Trigger   int       `json:"trigger"`
	CreatedAt time.Time `json:"created_at,omitzero"`
	// Unpublished is written true with the meeting and cleared once it is
	// published; absent (older records) means published.
	Unpublished bool `json:"unpublished,omitempty"`
}

type eventRecord struct {
	Kind    int            `json:"kind"`
	By      string         `json:"by,omitempty"`
	At      time.Time      `json:"at,omitzero"`
	Changes []changeRecord `json:"changes,omitempty"`
	Note    string         `json:"note,omitempty"`
}

type changeRecord struct {
	Field string `json:"field"`
	Old   string `json:"old"`
	New   string `json:"new"`
}

type claimRecord struct {
	Attempt   string `json:"attempt"`
	Replacing string `json:"replacing,omitempty"`
	// Hosts are the host emails, as every version wrote them; Candidates
	// (newer) carry each host's kind and Slack user too, in the same order.
	Hosts      []string     `json:"hosts,omitempty"`
	Candidates []hostRecord `json:"candidates,omitempty"`
	Trigger    int          `json:"trigger,omitempty"`
	By         string       `json:"by,omitempty"`
	At         time.Time    `json:"at"`
}

type hostRecord struct {
	Kind  int    `json:"kind"`
	User  string `json:"user,omitempty"`
	Email string `json:"email"`
}

type settingsRecord struct {
	V                     int    `json:"v"`
	ZoomEnabled           bool   `json:"zoom_enabled"`
	AutoCreate            bool   `json:"auto_create"`
	Severities            []int  `json:"criteria_severities,omitempty"`
	Statuses              []int  `json:"criteria_statuses,omitempty"`
	RequireCustomerImpact bool   `json:"criteria_customer_impact"`
	FallbackEmail         string `json:"fallback_email,omitempty"`
	AlwaysUseFallback     bool   `json:"always_use_fallback"`
	JoinBeforeHost        bool   `json:"join_before_host"`
	WaitingRoom           bool   `json:"waiting_room"`
	Recording             string `json:"recording"`
	Bookmarks             bool   `json:"bookmarks"`
	ChannelPrefix         string `json:"channel_prefix"`
}

// connectionRecord is a Zoom connection; Sealed holds tokensPlain sealed
// with the team ID as additional data, so a record moved to another team
// does not open.
type connectionRecord struct {
	V           int       `json:"v"`
	Team        string    `json:"team"`
	AccountID   string    `json:"account_id"`
	ConnectedBy string    `json:"connected_by,omitempty"`
	ConnectedAt time.Time `json:"connected_at,omitzero"`
	Expiry      time.Time `json:"expiry,omitzero"`
	Scopes      []string  `json:"scopes,omitempty"`
	Broken      bool      `json:"broken,omitempty"`
	BrokenTold  bool      `json:"broken_told,omitempty"`
	Sealed      []byte    `json:"sealed"`
}

// tokensPlain is what gets sealed.
type tokensPlain struct {
	V       int    `json:"v"`
	Access  string `json:"access"`
	Refresh string `json:"refresh"`
}

type oauthStateRecord struct {
	V       int       `json:"v"`
	Team    string    `json:"team"`
	User    string    `json:"user"`
	Expires time.Time `json:"expires"`
}

// putJSON encodes rec and stores it under key.
func putJSON(b *bbolt.Bucket, key []byte, rec any) error {
	raw, err := json.Marshal(rec)
	if err != nil {
		return fmt.Errorf("encode: %w", err)
	}
	if err := b.Put(key, raw); err != nil {
		return fmt.Errorf("put: %w", err)
	}
	return nil
}

// decodeJSON checks raw's version and decodes it into rec. json.Unmarshal
// copies, so rec stays valid after the transaction.
func decodeJSON(raw []byte, rec any) error {
	var v versioned
	if err := json.Unmarshal(raw, &v); err != nil {
		return fmt.Errorf("decode: %w", err)
	}
	if v.V < 1 || v.V > recordVersion {
		return fmt.Errorf("decode: record version %d, want 1..%d", v.V, recordVersion)
	}
	if err := json.Unmarshal(raw, rec); err != nil {
		return fmt.Errorf("decode: %w", err)
	}
	return nil
}

func decodeConnection(raw []byte) (connectionRecord, error) {
	var rec connectionRecord
	err := decodeJSON(raw, &rec)
	return rec, err
}

// numKey is an incident number as an 8-byte big-endian key, so cursors walk
// incidents in numeric order.
func numKey(n incident.Number) []byte {
	k := make([]byte, 8)
	binary.BigEndian.PutUint64(k, uint64(n))
	return k
}

// channelKey indexes a channel within its team; Slack IDs never contain NUL.
func channelKey(team incident.TeamID, ch incident.ChannelID) []byte {
	return []byte(string(team) + "\x00" + string(ch))
}

// utc drops the location and monotonic reading so times round-trip exactly.
func utc(t time.Time) time.Time {
	if t.IsZero() {
		return time.Time{}
	}
	return t.UTC()
}

// nilIfEmpty keeps decoded records equal to what was stored: JSON omits
// empty slices, which come back nil.
func nilIfEmpty[T any](s []T) []T {
	if len(s) == 0 {
		return nil
	}
	return s
}

func toIncidentRecord(inc incident.Incident, c *claimRecord) incidentRecord {
	rec := incidentRecord{
		V:               recordVersion,
		Team:            string(inc.Team),
		Number:          int64(inc.Number),
		Title:           inc.Title,
		Description:     inc.Description,
		Severity:        int(inc.Severity),
		Status:          int(inc.Status),
		Commander:       string(inc.Commander),
		CustomerImpact:  inc.CustomerImpact,
		Channel:         string(inc.Channel),
		ChannelName:     inc.ChannelName,
		ChannelArchived: inc.ChannelArchived,
		HeaderTS:        inc.HeaderTS,
		DeclaredBy:      string(inc.DeclaredBy),
		DeclaredAt:      utc(inc.DeclaredAt),
		BookmarkID:      inc.BookmarkID,
		AutoFailures:    nilIfEmpty(inc.AutoFailures),
		AutoCheck:       inc.AutoCheck,
		Claim:           c,
	}
	for _, u := range inc.Unsettled {
		rec.Unsettled = append(rec.Unsettled, toAttemptRecord(u))
	}
	if m := inc.Meeting; m != nil {
		rec.Meeting = &meetingRecord{
			ID:          m.ID,
			JoinURL:     m.JoinURL,
			Passcode:    m.Passcode,
			HostKind:    int(m.HostKind),
			HostUser:    string(m.HostUser),
			CreatedBy:   string(m.CreatedBy),
			Trigger:     int(m.Trigger),
			CreatedAt:   utc(m.CreatedAt),
			Unpublished: m.Unpublished,
		}
	}
	for _, e := range inc.Timeline {
		er := eventRecord{Kind: int(e.Kind), By: string(e.By), At: utc(e.At), Note: e.Note}
		for _, c := range e.Changes {
			er.Changes = append(er.Changes, changeRecord{Field: string(c.Field), Old: c.Old, New: c.New})
		}
		rec.Timeline = append(rec.Timeline, er)
	}
	return rec
}

func (rec incidentRecord) incident() incident.Incident {
	inc := incident.Incident{
		Team:            incident.TeamID(rec.Team),
		Number:          incident.Number(rec.Number),
		Title:           rec.Title,
		Description:     rec.Description,
		Severity:        incident.Severity(rec.Severity),
		Status:          incident.Status(rec.Status),
		Commander:       incident.UserID(rec.Commander),
		CustomerImpact:  rec.CustomerImpact,
		Channel:         incident.ChannelID(rec.Channel),
		ChannelName:     rec.ChannelName,
		ChannelArchived: rec.ChannelArchived,
		HeaderTS:        rec.HeaderTS,
		DeclaredBy:      incident.UserID(rec.DeclaredBy),
		DeclaredAt:      rec.DeclaredAt,
		BookmarkID:      rec.BookmarkID,
		AutoFailures:    nilIfEmpty(rec.AutoFailures),
		AutoCheck:       rec.AutoCheck,
	}
	for _, u := range rec.Unsettled {
		inc.Unsettled = append(inc.Unsettled, u.attempt())
	}
	if m := rec.Meeting; m != nil {
		inc.Meeting = &incident.Meeting{
			ID:          m.ID,
			JoinURL:     m.JoinURL,
			Passcode:    m.Passcode,
			HostKind:    incident.HostKind(m.HostKind),
			HostUser:    incident.UserID(m.HostUser),
			CreatedBy:   incident.UserID(m.CreatedBy),
			Trigger:     incident.Trigger(m.Trigger),
			CreatedAt:   m.CreatedAt,
			Unpublished: m.Unpublished,
		}
	}
	for _, er := range rec.Timeline {
		e := incident.Event{Kind: incident.EventKind(er.Kind), By: incident.UserID(er.By), At: er.At, Note: er.Note}
		for _, c := range er.Changes {
			e.Changes = append(e.Changes, incident.Change{Field: incident.Field(c.Field), Old: c.Old, New: c.New})
		}
		inc.Timeline = append(inc.Timeline, e)
	}
	return inc
}

func toClaimRecord(c app.Claim) *claimRecord {
	rec := toAttemptRecord(incident.Attempt{ID: c.Attempt, Replacing: c.Replacing, Hosts: c.Hosts, Trigger: c.Trigger, By: c.By, At: c.At})
	return &rec
}

func (c claimRecord) claim() app.Claim {
	a := c.attempt()
	return app.Claim{Attempt: a.ID, Replacing: a.Replacing, Hosts: a.Hosts, Trigger: a.Trigger, By: a.By, At: a.At}
}

func toAttemptRecord(a incident.Attempt) claimRecord {
	rec := claimRecord{Attempt: a.ID, Replacing: a.Replacing, Trigger: int(a.Trigger), By: string(a.By), At: utc(a.At)}
	for _, h := range a.Hosts {
		rec.Hosts = append(rec.Hosts, h.Email)
		rec.Candidates = append(rec.Candidates, hostRecord{Kind: int(h.Kind), User: string(h.User), Email: h.Email})
	}
	return rec
}

// attempt decodes the record. Records written before hosts carried their
// kind list emails only; those hosts come back as HostRequester, and
// reconciliation recognises the fallback by its email.
func (c claimRecord) attempt() incident.Attempt {
	a := incident.Attempt{ID: c.Attempt, Replacing: c.Replacing, Trigger: incident.Trigger(c.Trigger), By: incident.UserID(c.By), At: c.At}
	if len(c.Candidates) == len(c.Hosts) && len(c.Candidates) > 0 {
		for _, h := range c.Candidates {
			a.Hosts = append(a.Hosts, incident.Host{Kind: incident.HostKind(h.Kind), User: incident.UserID(h.User), Email: h.Email})
		}
		return a
	}
	for _, e := range c.Hosts {
		a.Hosts = append(a.Hosts, incident.Host{Kind: incident.HostRequester, Email: e})
	}
	return a
}

func toSettingsRecord(s incident.Settings) settingsRecord {
	rec := settingsRecord{
		V:                     recordVersion,
		ZoomEnabled:           s.ZoomEnabled,
		AutoCreate:            s.AutoCreate,
		RequireCustomerImpact: s.Criteria.RequireCustomerImpact,
		FallbackEmail:         s.FallbackEmail,
		AlwaysUseFallback:     s.AlwaysUseFallback,
		JoinBeforeHost:        s.JoinBeforeHost,
		WaitingRoom:           s.WaitingRoom,
		Recording:             string(s.Recording),
		Bookmarks:             s.Bookmarks,
		ChannelPrefix:         s.ChannelPrefix,
	}
	for _, v := range s.Criteria.Severities {
		rec.Severities = append(rec.Severities, int(v))
	}
	for _, v := range s.Criteria.Statuses {
		rec.Statuses = append(rec.Statuses, int(v))
	}
	return rec
}

func (rec settingsRecord) settings() incident.Settings {
	s := incident.Settings{
		ZoomEnabled:       rec.ZoomEnabled,
		AutoCreate:        rec.AutoCreate,
		Criteria:          incident.Criteria{RequireCustomerImpact: rec.RequireCustomerImpact},
		FallbackEmail:     rec.FallbackEmail,
		AlwaysUseFallback: rec.AlwaysUseFallback,
		JoinBeforeHost:    rec.JoinBeforeHost,
		WaitingRoom:       rec.WaitingRoom,
		Recording:         incident.Recording(rec.Recording),
		Bookmarks:         rec.Bookmarks,
		ChannelPrefix:     rec.ChannelPrefix,
	}
	for _, v := range rec.Severities {
		s.Criteria.Severities = append(s.Criteria.Severities, incident.Severity(v))
	}
	for _, v := range rec.Statuses {
		s.Criteria.Statuses = append(s.Criteria.Statuses, incident.Status(v))
	}
	return s
}
