package slackui

import (
	"encoding/json"
	"testing"

	"github.com/slack-go/slack"
)

// fields fills a modal by label, as a user does: a string for a text input
// or the visible text of a select's option, a user ID for a users select,
// []string (option texts) for a multi select, a bool for a one-checkbox
// input. Inputs not named keep their initial values.
type fields map[string]any

// submit builds the view of a view_submission as Slack sends it for mv
// filled with f: state.values[block_id][action_id] in Slack's JSON, decoded
// by slack-go. Like Slack's client it refuses a required input left empty.
func submit(t *testing.T, mv slack.ModalViewRequest, f fields) slack.View {
	t.Helper()
	used := map[string]bool{}
	values := map[string]map[string]any{}
	for _, b := range mv.Blocks.BlockSet {
		in, ok := b.(*slack.InputBlock)
		if !ok {
			continue
		}
		label := in.Label.Text
		v, set := f[label]
		used[label] = set
		var (
			actionID string
			action   map[string]any
			empty    bool
		)
		switch el := in.Element.(type) {
		case *slack.PlainTextInputBlockElement:
			actionID = el.ActionID
			val := el.InitialValue
			if set {
				val = v.(string)
			}
			if el.MaxLength > 0 && runes(val) > el.MaxLength {
				t.Fatalf("%q: %d characters over max_length %d", label, runes(val), el.MaxLength)
			}
			action = map[string]any{"type": "plain_text_input", "value": nullIfEmpty(val)}
			empty = val == ""
		case *slack.SelectBlockElement:
			actionID = el.ActionID
			switch el.Type {
			case slack.OptTypeStatic:
				chosen := el.InitialOption
				if set {
					chosen = optionByText(t, label, el.Options, v.(string))
				}
				action = map[string]any{"type": el.Type, "selected_option": chosen}
				empty = chosen == nil
			case slack.OptTypeUser:
				user := el.InitialUser
				if set {
					user = v.(string)
				}
				action = map[string]any{"type": el.Type, "selected_user": nullIfEmpty(user)}
				empty = user == ""
			default:
				t.Fatalf("%q: unsupported select %q", label, el.Type)
			}
		case *slack.MultiSelectBlockElement:
			actionID = el.ActionID
			chosen := el.InitialOptions
			if set {
				chosen = nil
				for _, text := range v.([]string) {
					chosen = append(chosen, optionByText(t, label, el.Options, text))
				}
			}
			action = map[string]any{"type": el.Type, "selected_options": nonNil(chosen)}
			empty = len(chosen) == 0
		case *slack.CheckboxGroupsBlockElement:
			actionID = el.ActionID
			if len(el.Options) != 1 || el.Options[0].Text.Text != label {
				t.Fatalf("%q: want one checkbox with the label's words, got %d options", label, len(el.Options))
			}
			chosen := el.InitialOptions
			if set {
				chosen = nil
				if v.(bool) {
					chosen = el.Options
				}
			}
			action = map[string]any{"type": "checkboxes", "selected_options": nonNil(chosen)}
			empty = len(chosen) == 0
		default:
			t.Fatalf("%q: unsupported element %T", label, in.Element)
		}
		if empty && !in.Optional {
			t.Fatalf("Slack refuses the form: required input %q is empty", label)
		}
		values[in.BlockID] = map[string]any{actionID: action}
	}
	for label := range f {
		if !used[label] {
			t.Fatalf("no input labelled %q", label)
		}
	}
	payload := map[string]any{
		"id": "V123", "team_id": "T1", "type": "modal",
		"callback_id": mv.CallbackID, "private_metadata": mv.PrivateMetadata,
		"title": mv.Title, "blocks": mv.Blocks,
		"state": map[string]any{"values": values},
	}
	var view slack.View
	if err := json.Unmarshal(marshal(t, payload), &view); err != nil {
		t.Fatalf("decode view_submission view: %v", err)
	}
	return view
}

// viewWithState is a submitted view whose state holds exactly values, for
// submissions no real form would produce.
func viewWithState(values map[string]map[string]slack.BlockAction) slack.View {
	return slack.View{State: &slack.ViewState{Values: values}}
}

func optionByText(t *testing.T, label string, opts []*slack.OptionBlockObject, text string) *slack.OptionBlockObject {
	t.Helper()
	for _, o := range opts {
		if o.Text.Text == text {
			return o
		}
	}
	var texts []string
	for _, o := range opts {
		texts = append(texts, o.Text.Text)
	}
	t.Fatalf("%q has no option %q (options %q)", label, text, texts)
	return nil
}

func nullIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func nonNil(opts []*slack.OptionBlockObject) []*slack.OptionBlockObject {
	if opts == nil {
		return []*slack.OptionBlockObject{}
	}
	return opts
}
