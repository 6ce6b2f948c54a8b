package slackui

import (
	"strings"

	"github.com/slack-go/slack"

	"github.com/incident-bridge/incident-bridge/internal/incident"
)

// Input block IDs. Each input's action ID equals its block ID. The incident
// forms (declare, edit) and the settings form use disjoint IDs, so one
// mapping from field names serves ViewErrors for every view.
const (
	blockTitle       = "title"
	blockSeverity    = "severity"
	blockStatus      = "status"
	blockCommander   = "commander"
	blockImpact      = "customer_impact"
	blockDescription = "description"

	blockZoomEnabled      = "zoom_enabled"
	blockAutoCreate       = "auto_create"
	blockCriteriaSeverity = "criteria_severity"
	blockCriteriaStatus   = "criteria_status"
	blockCriteriaImpact   = "criteria_impact"
	blockFallbackEmail    = "fallback_email"
	blockAlwaysFallback   = "always_use_fallback"
	blockJoinBeforeHost   = "join_before_host"
	blockWaitingRoom      = "waiting_room"
	blockRecording        = "recording"
	blockBookmarks        = "bookmarks"
	blockChannelPrefix    = "channel_prefix"
)

// Field names for criteria problems, which incident.Settings.Validate never
// reports but a malformed submission can.
const (
	settingCriteriaSeverities = "criteria_severities"
	settingCriteriaStatuses   = "criteria_statuses"
)

// blockForField names the input block that shows problems with field, one
// of the incident.Field* and incident.Setting* names.
func blockForField(field string) (string, bool) {
	switch field {
	case string(incident.FieldTitle):
		return blockTitle, true
	case string(incident.FieldSeverity):
		return blockSeverity, true
	case string(incident.FieldStatus):
		return blockStatus, true
	case string(incident.FieldCommander):
		return blockCommander, true
	case string(incident.FieldCustomerImpact):
		return blockImpact, true
	case string(incident.FieldDescription):
		return blockDescription, true
	case incident.SettingFallbackEmail:
		return blockFallbackEmail, true
	case incident.SettingAlwaysUseFallback:
		return blockAlwaysFallback, true
	case incident.SettingChannelPrefix:
		return blockChannelPrefix, true
	case incident.SettingRecording:
		return blockRecording, true
	case settingCriteriaSeverities:
		return blockCriteriaSeverity, true
	case settingCriteriaStatuses:
		return blockCriteriaStatus, true
	}
	return "", false
}

// ViewErrors turns form problems into the block_id → message map of a
// view_submission "errors" response
// (slack.NewErrorsViewSubmissionResponse), for the view the problems came
// from (ParseDeclare, ParseEdit or ParseSettings). Several problems with one
// field are joined. Problems with a field no input shows are left out; when
// the result is empty, tell the user with a Notice instead.
func ViewErrors(fe incident.FieldErrors) map[string]string {
	out := make(map[string]string, len(fe))
	for _, e := range fe {
		block, ok := blockForField(e.Field)
		if !ok {
			continue
		}
		if prev, ok := out[block]; ok {
			out[block] = prev + " " + e.Msg
			continue
		}
		out[block] = e.Msg
	}
	return out
}

// state reads a submitted view's values: state.values[block_id][action_id].
type state map[string]map[string]slack.BlockAction

func stateOf(v slack.View) state {
	if v.State == nil {
		return nil
	}
	return v.State.Values
}

// get returns block's action: the one whose action ID equals the block ID,
// or the block's only action.
func (s state) get(block string) (slack.BlockAction, bool) {
	actions := s[block]
	if a, ok := actions[block]; ok {
		return a, true
	}
	if len(actions) == 1 {
		for _, a := range actions {
			return a, true
		}
	}
	return slack.BlockAction{}, false
}

// text returns a plain_text_input's value, trimmed.
func (s state) text(block string) string {
	a, _ := s.get(block) // a missing input reads as empty, like an empty one
	return strings.TrimSpace(a.Value)
}

// selected returns a static_select's chosen option value.
func (s state) selected(block string) (string, bool) {
	a, ok := s.get(block)
	if !ok || a.SelectedOption.Value == "" {
		return "", false
	}
	return a.SelectedOption.Value, true
}

// selectedAll returns a multi_static_select's or checkboxes' chosen option
// values.
func (s state) selectedAll(block string) []string {
	a, _ := s.get(block) // a missing input reads as nothing chosen
	var vs []string
	for _, o := range a.SelectedOptions {
		vs = append(vs, o.Value)
	}
	return vs
}

// user returns a users_select's chosen user and whether the input was there.
func (s state) user(block string) (string, bool) {
	a, ok := s.get(block)
	return a.SelectedUser, ok
}

// checked reports whether a one-option checkboxes input is ticked.
func (s state) checked(block string) bool {
	for _, v := range s.selectedAll(block) {
		if v == optionOn {
			return true
		}
	}
	return false
}

// initialValues returns the initial value each input of a submitted view
// was opened with (plain text, select option value, or user), by block ID.
// Slack sends the view's blocks back with the submission.
func initialValues(v slack.View) map[string]string {
	out := map[string]string{}
	for _, b := range v.Blocks.BlockSet {
		in, ok := b.(*slack.InputBlock)
		if !ok {
			continue
		}
		switch el := in.Element.(type) {
		case *slack.PlainTextInputBlockElement:
			out[in.BlockID] = strings.TrimSpace(el.InitialValue)
		case *slack.SelectBlockElement:
			switch {
			case el.InitialOption != nil:
				out[in.BlockID] = el.InitialOption.Value
			default:
				out[in.BlockID] = el.InitialUser
			}
		}
	}
	return out
}
