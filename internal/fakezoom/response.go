package fakezoom

import (
	"strconv"
	"time"
)

// meetingJSON is meetingCreate's 201 body (MEET), the keys the spec lists
// for a scheduled meeting without registration.
type meetingJSON struct {
	UUID              string       `json:"uuid"`
	ID                int64        `json:"id"`
	HostID            string       `json:"host_id"`
	HostEmail         string       `json:"host_email"`
	AssistantID       string       `json:"assistant_id,omitempty"`
	Topic             string       `json:"topic"`
	Type              int          `json:"type"`
	Status            string       `json:"status"`
	StartTime         string       `json:"start_time,omitempty"`
	Duration          int          `json:"duration"`
	Timezone          string       `json:"timezone"`
	Agenda            string       `json:"agenda"`
	CreatedAt         string       `json:"created_at"`
	StartURL          string       `json:"start_url"`
	JoinURL           string       `json:"join_url"`
	Password          string       `json:"password"`
	H323Password      string       `json:"h323_password"`
	PSTNPassword      string       `json:"pstn_password"`
	EncryptedPassword string       `json:"encrypted_password"`
	Settings          settingsJSON `json:"settings"`
	PreSchedule       bool         `json:"pre_schedule"`
	CreationSource    string       `json:"creation_source"`
}

type enableJSON struct {
	Enable bool `json:"enable"`
}

// settingsJSON is a representative part of the ~70 settings keys Zoom
// returns; clients must decode leniently.
type settingsJSON struct {
	HostVideo                            bool       `json:"host_video"`
	ParticipantVideo                     bool       `json:"participant_video"`
	CNMeeting                            bool       `json:"cn_meeting"`
	INMeeting                            bool       `json:"in_meeting"`
	JoinBeforeHost                       bool       `json:"join_before_host"`
	JBHTime                              int        `json:"jbh_time"`
	MuteUponEntry                        bool       `json:"mute_upon_entry"`
	Watermark                            bool       `json:"watermark"`
	UsePMI                               bool       `json:"use_pmi"`
	ApprovalType                         int        `json:"approval_type"`
	Audio                                string     `json:"audio"`
	AutoRecording                        string     `json:"auto_recording"`
	EnforceLogin                         bool       `json:"enforce_login"`
	EnforceLoginDomains                  string     `json:"enforce_login_domains"`
	AlternativeHosts                     string     `json:"alternative_hosts"`
	AlternativeHostsEmailNotification    bool       `json:"alternative_hosts_email_notification"`
	CloseRegistration                    bool       `json:"close_registration"`
	ShowShareButton                      bool       `json:"show_share_button"`
	AllowMultipleDevices                 bool       `json:"allow_multiple_devices"`
	RegistrantsConfirmationEmail         bool       `json:"registrants_confirmation_email"`
	WaitingRoom                          bool       `json:"waiting_room"`
	RequestPermissionToUnmute            bool       `json:"request_permission_to_unmute_participants"`
	RegistrantsEmailNotification         bool       `json:"registrants_email_notification"`
	MeetingAuthentication                bool       `json:"meeting_authentication"`
	EncryptionType                       string     `json:"encryption_type"`
	ApprovedOrDeniedCountriesOrRegions   enableJSON `json:"approved_or_denied_countries_or_regions"`
	BreakoutRoom                         enableJSON `json:"breakout_room"`
	InternalMeeting                      bool       `json:"internal_meeting"`
	ContinuousMeetingChat                enableJSON `json:"continuous_meeting_chat"`
	ParticipantFocusedMeeting            bool       `json:"participant_focused_meeting"`
	PushChangeToCalendar                 bool       `json:"push_change_to_calendar"`
	Resources                            []any      `json:"resources"`
	AutoStartMeetingSummary              bool       `json:"auto_start_meeting_summary"`
	AutoStartAICompanionQuestions        bool       `json:"auto_start_ai_companion_questions"`
	DeviceTesting                        bool       `json:"device_testing"`
	EmailNotification                    bool       `json:"email_notification"`
	HostSaveVideoOrder                   bool       `json:"host_save_video_order"`
	PrivateMeeting                       bool       `json:"private_meeting"`
	EmailInAttendeeReport                bool       `json:"email_in_attendee_report"`
	AllowHostControlParticipantMuteState bool       `json:"allow_host_control_participant_mute_state"`
}

func zoomTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(startTimeGMT)
}

func meetingJSONOf(m Meeting) meetingJSON {
	ids := strconv.FormatInt(m.ID, 10)
	st := m.Settings
	return meetingJSON{
		UUID:              m.UUID,
		ID:                m.ID,
		HostID:            m.HostID,
		HostEmail:         m.HostEmail,
		AssistantID:       m.AssistantID,
		Topic:             m.Topic,
		Type:              m.Type,
		Status:            "waiting",
		StartTime:         zoomTime(m.StartTime),
		Duration:          m.Duration,
		Timezone:          m.Timezone,
		Agenda:            m.Agenda,
		CreatedAt:         zoomTime(m.CreatedAt),
		StartURL:          m.StartURL,
		JoinURL:           m.JoinURL,
		Password:          m.Password,
		H323Password:      deriveDigits("h323", ids, 6),
		PSTNPassword:      deriveDigits("pstn", ids, 6),
		EncryptedPassword: derive("pwd", ids+m.Password, 24),
		PreSchedule:       false,
		CreationSource:    "open_api",
		Settings: settingsJSON{
			HostVideo:                         st.HostVideo,
			ParticipantVideo:                  st.ParticipantVideo,
			JoinBeforeHost:                    st.JoinBeforeHost,
			JBHTime:                           st.JBHTime,
			MuteUponEntry:                     st.MuteUponEntry,
			ApprovalType:                      st.ApprovalType,
			Audio:                             st.Audio,
			AutoRecording:                     st.AutoRecording,
			AlternativeHosts:                  st.AlternativeHosts,
			AlternativeHostsEmailNotification: st.AlternativeHostsEmailNotification,
			WaitingRoom:                       st.WaitingRoom,
			EncryptionType:                    "enhanced_encryption",
			ContinuousMeetingChat:             enableJSON{Enable: m.Type != 1},
			Resources:                         []any{},
			EmailNotification:                 st.EmailNotification,
		},
	}
}

// listItemJSON is one entry of the meetings list (MEET operationId
// meetings): the agenda is cut to 250 characters there.
type listItemJSON struct {
	UUID      string `json:"uuid"`
	ID        int64  `json:"id"`
	HostID    string `json:"host_id"`
	Topic     string `json:"topic"`
	Type      int    `json:"type"`
	StartTime string `json:"start_time,omitempty"`
	Duration  int    `json:"duration"`
	Timezone  string `json:"timezone"`
	Agenda    string `json:"agenda,omitempty"`
	CreatedAt string `json:"created_at"`
	JoinURL   string `json:"join_url"`
}

func listItemOf(m Meeting) listItemJSON {
	agenda := []rune(m.Agenda)
	if len(agenda) > 250 {
		agenda = agenda[:250]
	}
	return listItemJSON{
		UUID:      m.UUID,
		ID:        m.ID,
		HostID:    m.HostID,
		Topic:     m.Topic,
		Type:      m.Type,
		StartTime: zoomTime(m.StartTime),
		Duration:  m.Duration,
		Timezone:  m.Timezone,
		Agenda:    string(agenda),
		CreatedAt: zoomTime(m.CreatedAt),
		JoinURL:   m.JoinURL,
	}
}

// deriveDigits is derive limited to digits, for PSTN/H.323 passcodes and PMIs.
func deriveDigits(label, value string, n int) string {
	raw := derive(label, value, 32)
	out := make([]byte, n)
	for i := range out {
		out[i] = '0' + raw[i]%10
	}
	if out[0] == '0' {
		out[0] = '1' // keeps numbers the same length when parsed
	}
	return string(out)
}
