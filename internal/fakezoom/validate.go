package fakezoom

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// createBody is the part of meetingCreate's request body the fake reads
// (MEET /users/{userId}/meetings POST). Pointers tell absent from zero.
// Unknown keys are ignored, as Zoom does.
type createBody struct {
	Topic           *string         `json:"topic"`
	Type            *int            `json:"type"`
	StartTime       *string         `json:"start_time"`
	Duration        *int            `json:"duration"`
	Timezone        *string         `json:"timezone"`
	Agenda          *string         `json:"agenda"`
	Password        *string         `json:"password"`
	DefaultPassword *bool           `json:"default_password"`
	ScheduleFor     *string         `json:"schedule_for"`
	Settings        *createSettings `json:"settings"`
}

type createSettings struct {
	JoinBeforeHost                    *bool   `json:"join_before_host"`
	JBHTime                           *int    `json:"jbh_time"`
	WaitingRoom                       *bool   `json:"waiting_room"`
	AutoRecording                     *string `json:"auto_recording"`
	ApprovalType                      *int    `json:"approval_type"`
	Audio                             *string `json:"audio"`
	EmailNotification                 *bool   `json:"email_notification"`
	AlternativeHosts                  *string `json:"alternative_hosts"`
	AlternativeHostsEmailNotification *bool   `json:"alternative_hosts_email_notification"`
	MuteUponEntry                     *bool   `json:"mute_upon_entry"`
	HostVideo                         *bool   `json:"host_video"`
	ParticipantVideo                  *bool   `json:"participant_video"`
}

// errBadJSON: the body is not a JSON object (400/300 "Request Body should
// be a valid JSON object.").
var errBadJSON = errors.New("request body is not a JSON object")

// Zoom's wall-clock formats for start_time (reference §2): with Z it is
// GMT, without it local time in "timezone".
const (
	startTimeGMT   = "2006-01-02T15:04:05Z"
	startTimeLocal = "2006-01-02T15:04:05"
)

// parseCreate decodes and validates a create body against the spec's
// constraints. Field errors come back in errs; a body that is not a JSON
// object is errBadJSON.
func parseCreate(body []byte) (b createBody, errs []fieldError, err error) {
	trimmed := strings.TrimSpace(string(body))
	if !strings.HasPrefix(trimmed, "{") {
		return b, nil, errBadJSON
	}
	if err := json.Unmarshal(body, &b); err != nil {
		var typeErr *json.UnmarshalTypeError
		if !errors.As(err, &typeErr) || typeErr.Field == "" {
			return b, nil, errBadJSON
		}
		// Unmarshal reports the first mistyped field and fills the rest.
		errs = append(errs, fieldError{Field: typeErr.Field, Message: "Invalid field."})
	}
	bad := func(field, msg string) { errs = append(errs, fieldError{Field: field, Message: msg}) }
	if b.Topic != nil && utf8.RuneCountInString(*b.Topic) > 200 {
		bad("topic", "Length must be less than or equal to 200.")
	}
	if b.Type != nil && !slices.Contains([]int{1, 2, 3, 8, 10}, *b.Type) {
		bad("type", "Invalid field.")
	}
	if b.StartTime != nil && *b.StartTime != "" {
		if _, err := parseStartTime(*b.StartTime, time.UTC); err != nil {
			bad("start_time", "Invalid field.")
		}
	}
	if b.Duration != nil && (*b.Duration < 1 || *b.Duration > 1440) {
		bad("duration", "Must be between 1 and 1440.")
	}
	if b.Agenda != nil && utf8.RuneCountInString(*b.Agenda) > 2000 {
		bad("agenda", "Length must be less than or equal to 2000.")
	}
	if b.Password != nil && !validPassword(*b.Password) {
		bad("password", "Passcode may only contain up to 10 characters: a-z A-Z 0-9 @ - _ *.")
	}
	if st := b.Settings; st != nil {
		if st.JBHTime != nil && !slices.Contains([]int{0, 5, 10, 15}, *st.JBHTime) {
			bad("settings.jbh_time", "Invalid field.")
		}
		if st.AutoRecording != nil && !slices.Contains([]string{"local", "cloud", "none"}, *st.AutoRecording) {
			bad("settings.auto_recording", "Invalid field.")
		}
		if st.ApprovalType != nil && !slices.Contains([]int{0, 1, 2}, *st.ApprovalType) {
			bad("settings.approval_type", "Invalid field.")
		}
		if st.Audio != nil && !slices.Contains([]string{"both", "telephony", "voip", "thirdParty"}, *st.Audio) {
			bad("settings.audio", "Invalid field.")
		}
	}
	return b, errs, nil
}

// parseStartTime reads Zoom's two start_time forms; a local time is read
// in loc. Anything else (fractions, offsets, dates alone) is refused: the
// spec documents only these two, so the fake takes the strict reading.
func parseStartTime(v string, loc *time.Location) (time.Time, error) {
	if strings.Contains(v, ".") { // time.Parse would accept fractions silently
		return time.Time{}, fmt.Errorf("start_time %q has fractional seconds", v)
	}
	if t, err := time.Parse(startTimeGMT, v); err == nil {
		return t, nil
	}
	t, err := time.ParseInLocation(startTimeLocal, v, loc)
	if err != nil {
		return time.Time{}, fmt.Errorf("start_time %q is neither %s nor %s", v, startTimeGMT, startTimeLocal)
	}
	return t, nil
}

func validPassword(p string) bool {
	if len(p) > 10 {
		return false
	}
	for _, r := range p {
		ok := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("@-_*", r)
		if !ok {
			return false
		}
	}
	return true
}

// Helpers reading optional fields with their Zoom defaults.

func str(p *string, def string) string {
	if p == nil {
		return def
	}
	return *p
}

func num(p *int, def int) int {
	if p == nil {
		return def
	}
	return *p
}

func flag(p *bool, def bool) bool {
	if p == nil {
		return def
	}
	return *p
}
