package slackui

import (
	"github.com/slack-go/slack"

	"github.com/incident-bridge/incident-bridge/internal/incident"
)

// Settings modal texts people fill the form by (SPEC §5.4).
const (
	titleSettings = "Incident settings"

	labelZoomEnabled    = "Enable Zoom meeting creation"
	labelAutoCreate     = "Automatically create Zoom meetings"
	noteCriteria        = "Automatic creation criteria (blank matches any change)"
	noteOptions         = "Meeting options"
	labelCriteriaImpact = "Only incidents with customer impact"
	labelFallbackEmail  = "Fallback user account"
	labelAlwaysFallback = "Always use this account as the meeting host"
	labelJoinBefore     = "Let participants join before the host"
	hintJoinBefore      = "Has no effect while the waiting room is on"
	labelWaitingRoom    = "Waiting room"
	labelRecording      = "Automatic recording"
	labelBookmarks      = "Add important links to the incident channel's bookmarks"
	labelChannelPrefix  = "Incident channel prefix"
)

// maxPrefix is the longest channel prefix incident.Settings.Validate allows.
const maxPrefix = 20

// optionOn is the value of the single option of an on/off checkbox.
const optionOn = "on"

// SettingsModal is the Incident settings modal (callback CallbackSettings,
// submit Save) showing s, in two sections headed Zoom and Slack. Each on/off
// setting is an optional input labelled with its words, holding one checkbox
// with the same words, ticked when on. meta is carried in private_metadata.
func SettingsModal(s incident.Settings, meta string) slack.ModalViewRequest {
	prefix := s.ChannelPrefix
	if prefix == "" {
		prefix = incident.DefaultSettings().ChannelPrefix
	}
	recording := s.Recording
	if recording == "" {
		recording = incident.RecordingNone
	}
	blocks := []slack.Block{
		slack.NewHeaderBlock(plain("Zoom"), slack.HeaderBlockOptionBlockID("zoom_header")),
		toggle(blockZoomEnabled, labelZoomEnabled, "", s.ZoomEnabled),
		toggle(blockAutoCreate, labelAutoCreate, "", s.AutoCreate),
		contextLine("criteria_note", noteCriteria),
		criteriaSeverityInput(s.Criteria.Severities),
		criteriaStatusInput(s.Criteria.Statuses),
		toggle(blockCriteriaImpact, labelCriteriaImpact, "", s.Criteria.RequireCustomerImpact),
		fallbackInput(s.FallbackEmail),
		toggle(blockAlwaysFallback, labelAlwaysFallback, "", s.AlwaysUseFallback),
		contextLine("options_note", noteOptions),
		toggle(blockJoinBeforeHost, labelJoinBefore, hintJoinBefore, s.JoinBeforeHost),
		toggle(blockWaitingRoom, labelWaitingRoom, "", s.WaitingRoom),
		recordingInput(recording),
		slack.NewDividerBlock(),
		slack.NewHeaderBlock(plain("Slack"), slack.HeaderBlockOptionBlockID("slack_header")),
		toggle(blockBookmarks, labelBookmarks, "", s.Bookmarks),
		prefixInput(prefix),
	}
	return modal(CallbackSettings, titleSettings, submitSave, meta, blocks)
}

// ParseSettings reads a submitted Incident settings modal, normalises the
// result and validates it. Problems are keyed by incident.Setting* names
// (and names for the criteria inputs that only ViewErrors needs to know);
// save nothing unless they are nil.
func ParseSettings(v slack.View) (incident.Settings, incident.FieldErrors) {
	st := stateOf(v)
	s := incident.Settings{
		ZoomEnabled:       st.checked(blockZoomEnabled),
		AutoCreate:        st.checked(blockAutoCreate),
		FallbackEmail:     st.text(blockFallbackEmail),
		AlwaysUseFallback: st.checked(blockAlwaysFallback),
		JoinBeforeHost:    st.checked(blockJoinBeforeHost),
		WaitingRoom:       st.checked(blockWaitingRoom),
		Bookmarks:         st.checked(blockBookmarks),
		ChannelPrefix:     st.text(blockChannelPrefix),
	}
	s.Criteria.RequireCustomerImpact = st.checked(blockCriteriaImpact)
	if r, ok := st.selected(blockRecording); ok {
		s.Recording = incident.Recording(r)
	}

	var errs incident.FieldErrors
	for _, val := range st.selectedAll(blockCriteriaSeverity) {
		sev, err := incident.ParseSeverity(val)
		if err != nil {
			errs = append(errs, incident.FieldError{Field: settingCriteriaSeverities, Msg: "Choose from SEV-1 to SEV-5."})
			continue
		}
		s.Criteria.Severities = append(s.Criteria.Severities, sev)
	}
	for _, val := range st.selectedAll(blockCriteriaStatus) {
		status, err := incident.ParseStatus(val)
		if err != nil || status == incident.StatusResolved {
			errs = append(errs, incident.FieldError{Field: settingCriteriaStatuses, Msg: "Choose from active and stable."})
			continue
		}
		s.Criteria.Statuses = append(s.Criteria.Statuses, status)
	}

	s = s.Normalize()
	errs = append(s.Validate(), errs...)
	return s, nonEmpty(errs)
}

// toggle is an on/off setting: an optional input holding one checkbox with
// the label's words.
func toggle(blockID, label, hint string, on bool) *slack.InputBlock {
	opt := option(optionOn, label)
	el := slack.NewCheckboxGroupsBlockElement(blockID, opt)
	if on {
		el.InitialOptions = []*slack.OptionBlockObject{option(optionOn, label)}
	}
	return input(blockID, label, hint, true, el)
}

func criteriaSeverityInput(sevs []incident.Severity) *slack.InputBlock {
	el := slack.NewOptionsMultiSelectBlockElement(slack.MultiOptTypeStatic, plain("Any severity"), blockCriteriaSeverity, severityOptions()...)
	var initial []*slack.OptionBlockObject
	for _, s := range sevs {
		if s.Valid() {
			initial = append(initial, option(s.String(), s.String()))
		}
	}
	if len(initial) > 0 {
		el.WithInitialOptions(initial...)
	}
	return input(blockCriteriaSeverity, labelSeverity, "", true, el)
}

// criteriaStatuses are the statuses criteria may name: a resolved incident
// never gets a meeting automatically (SPEC §5.2).
func criteriaStatuses() []incident.Status {
	return []incident.Status{incident.StatusActive, incident.StatusStable}
}

func criteriaStatusInput(statuses []incident.Status) *slack.InputBlock {
	var opts, initial []*slack.OptionBlockObject
	for _, s := range criteriaStatuses() {
		opts = append(opts, option(s.String(), s.String()))
		for _, want := range statuses {
			if want == s {
				initial = append(initial, option(s.String(), s.String()))
				break
			}
		}
	}
	el := slack.NewOptionsMultiSelectBlockElement(slack.MultiOptTypeStatic, plain("Any status"), blockCriteriaStatus, opts...)
	if len(initial) > 0 {
		el.WithInitialOptions(initial...)
	}
	return input(blockCriteriaStatus, labelStatus, "", true, el)
}

func fallbackInput(email string) *slack.InputBlock {
	el := slack.NewPlainTextInputBlockElement(plain("oncall@example.com"), blockFallbackEmail)
	if email != "" {
		el.WithInitialValue(email)
	}
	hint := "Hosts the meeting when the person's email is not in the Zoom account, or there is no commander."
	return input(blockFallbackEmail, labelFallbackEmail, hint, true, el)
}

func recordingInput(r incident.Recording) *slack.InputBlock {
	var opts []*slack.OptionBlockObject
	var initial *slack.OptionBlockObject
	for _, v := range []incident.Recording{incident.RecordingNone, incident.RecordingLocal, incident.RecordingCloud} {
		opts = append(opts, option(string(v), string(v)))
		if v == r {
			initial = option(string(v), string(v))
		}
	}
	el := slack.NewOptionsSelectBlockElement(slack.OptTypeStatic, plain("Choose"), blockRecording, opts...)
	if initial != nil {
		el.WithInitialOption(initial)
	}
	return input(blockRecording, labelRecording, "", false, el)
}

func prefixInput(prefix string) *slack.InputBlock {
	el := slack.NewPlainTextInputBlockElement(plain("inc-"), blockChannelPrefix).
		WithInitialValue(cut(prefix, maxPrefix)).
		WithMaxLength(maxPrefix)
	hint := "Incident channels are named <prefix><number>-<title>, e.g. inc-42-checkout-errors."
	return input(blockChannelPrefix, labelChannelPrefix, hint, false, el)
}
