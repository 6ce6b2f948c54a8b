package fakeslack

import (
	"fmt"
	"slices"
	"unicode/utf8"
)

// inputBlock is an input block of a view.
type inputBlock struct {
	blockID, actionID, label, typ string
	optional                      bool
	elem                          map[string]any
}

func inputsOf(v *view) []inputBlock {
	blocks, _ := v.spec["blocks"].([]any)
	var out []inputBlock
	for _, b := range blocks {
		bm, _ := b.(map[string]any)
		if bm["type"] != "input" {
			continue
		}
		elem, _ := bm["element"].(map[string]any)
		out = append(out, inputBlock{
			blockID: str(bm["block_id"]), actionID: str(elem["action_id"]), label: textOf(bm["label"]),
			typ: str(elem["type"]), optional: bm["optional"] == true, elem: elem,
		})
	}
	return out
}

// optionsOf returns an element's options, including those in option_groups.
func optionsOf(elem map[string]any) []map[string]any {
	var out []map[string]any
	add := func(v any) {
		arr, _ := v.([]any)
		for _, o := range arr {
			if om, ok := o.(map[string]any); ok {
				out = append(out, om)
			}
		}
	}
	add(elem["options"])
	groups, _ := elem["option_groups"].([]any)
	for _, g := range groups {
		gm, _ := g.(map[string]any)
		add(gm["options"])
	}
	return out
}

// findOption matches an option by its visible text, then by value.
func findOption(elem map[string]any, want string) (map[string]any, error) {
	opts := optionsOf(elem)
	for _, byValue := range []bool{false, true} {
		for _, o := range opts {
			if (!byValue && textOf(o["text"]) == want) || (byValue && str(o["value"]) == want) {
				return o, nil
			}
		}
	}
	var texts []string
	for _, o := range opts {
		texts = append(texts, textOf(o["text"]))
	}
	return nil, fmt.Errorf("no option %q (options: %q)", want, texts)
}

// stateValuesLocked builds view.state.values[block_id][action_id] as Slack
// does for each element type, from the initial values overridden by
// fields (keyed by label). With submit set it also applies the checks the
// Slack client makes before it lets a person submit.
func (s *Server) stateValuesLocked(v *view, fields Fields, submit bool) (map[string]any, error) {
	inputs := inputsOf(v)
	for label := range fields {
		if !slices.ContainsFunc(inputs, func(in inputBlock) bool { return in.label == label }) {
			labels := make([]string, 0, len(inputs))
			for _, in := range inputs {
				labels = append(labels, in.label)
			}
			return nil, fmt.Errorf("fakeslack: modal %q has no input labelled %q (labels: %q)", v.title, label, labels)
		}
	}
	values := map[string]any{}
	for _, in := range inputs {
		val, set := fields[in.label]
		entry, empty, err := s.stateEntryLocked(in, val, set)
		if err != nil {
			return nil, fmt.Errorf("fakeslack: modal %q, field %q: %w", v.title, in.label, err)
		}
		if submit && empty && !in.optional {
			return nil, fmt.Errorf("fakeslack: modal %q, field %q is required and empty; Slack would not submit", v.title, in.label)
		}
		if submit && in.typ == "plain_text_input" && !empty {
			n := utf8.RuneCountInString(str(entry["value"]))
			if lo, _ := in.elem["min_length"].(float64); n < int(lo) {
				return nil, fmt.Errorf("fakeslack: modal %q, field %q is shorter than min_length %d; Slack would not submit", v.title, in.label, int(lo))
			}
			if hi, ok := in.elem["max_length"].(float64); ok && n > int(hi) {
				return nil, fmt.Errorf("fakeslack: modal %q, field %q is longer than max_length %d; Slack would not submit", v.title, in.label, int(hi))
			}
		}
		values[in.blockID] = map[string]any{in.actionID: entry}
	}
	return values, nil
}

// stateEntryLocked is one element's state value and whether it is empty.
func (s *Server) stateEntryLocked(in inputBlock, val any, set bool) (map[string]any, bool, error) {
	e := in.elem
	entry := map[string]any{"type": in.typ}
	text := func(initialKey, key string) (bool, error) {
		v := str(e[initialKey])
		if set {
			sv, ok := val.(string)
			if !ok {
				return false, fmt.Errorf("want a string for %s, got %T", in.typ, val)
			}
			v = sv
		}
		if v == "" {
			entry[key] = nil
			return true, nil
		}
		entry[key] = v
		return false, nil
	}
	switch in.typ {
	case "plain_text_input", "email_text_input", "url_text_input", "number_input":
		empty, err := text("initial_value", "value")
		return entry, empty, err
	case "datepicker":
		empty, err := text("initial_date", "selected_date")
		return entry, empty, err
	case "timepicker":
		empty, err := text("initial_time", "selected_time")
		return entry, empty, err
	case "conversations_select":
		empty, err := text("initial_conversation", "selected_conversation")
		return entry, empty, err
	case "channels_select":
		empty, err := text("initial_channel", "selected_channel")
		return entry, empty, err
	case "users_select":
		empty, err := text("initial_user", "selected_user")
		if err == nil && !empty {
			if _, ok := s.userLocked(UserID(str(entry["selected_user"]))); !ok {
				return nil, false, fmt.Errorf("no active user %q", entry["selected_user"])
			}
		}
		return entry, empty, err
	case "static_select", "radio_buttons":
		opt := e["initial_option"]
		if set {
			sv, ok := val.(string)
			if !ok {
				return nil, false, fmt.Errorf("want an option text for %s, got %T", in.typ, val)
			}
			opt = nil
			if sv != "" {
				o, err := findOption(e, sv)
				if err != nil {
					return nil, false, err
				}
				opt = o
			}
		}
		entry["selected_option"] = opt
		return entry, opt == nil, nil
	case "multi_static_select", "checkboxes":
		opts, err := multiOptions(in, val, set)
		entry["selected_options"] = opts
		return entry, len(opts) == 0, err
	case "multi_users_select", "multi_conversations_select", "multi_channels_select":
		key := map[string]string{"multi_users_select": "users", "multi_conversations_select": "conversations", "multi_channels_select": "channels"}[in.typ]
		list, _ := e["initial_"+key].([]any)
		if set {
			ss, ok := val.([]string)
			if !ok {
				return nil, false, fmt.Errorf("want []string for %s, got %T", in.typ, val)
			}
			list = nil
			for _, x := range ss {
				list = append(list, x)
			}
		}
		entry["selected_"+key] = nonNil(list)
		return entry, len(list) == 0, nil
	}
	return nil, false, fmt.Errorf("element type %s is not supported by the fake", in.typ)
}

// multiOptions resolves selected_options for multi selects and checkboxes:
// []string of option texts, or a bool for a single checkbox.
func multiOptions(in inputBlock, val any, set bool) ([]any, error) {
	initial, _ := in.elem["initial_options"].([]any)
	if !set {
		return nonNil(initial), nil
	}
	var want []string
	switch v := val.(type) {
	case []string:
		want = v
	case bool:
		opts := optionsOf(in.elem)
		if in.typ != "checkboxes" || len(opts) != 1 {
			return nil, fmt.Errorf("a bool needs checkboxes with one option")
		}
		if v {
			return []any{opts[0]}, nil
		}
		return []any{}, nil
	default:
		return nil, fmt.Errorf("want []string (or bool for one checkbox) for %s, got %T", in.typ, val)
	}
	out := []any{}
	for _, w := range want {
		o, err := findOption(in.elem, w)
		if err != nil {
			return nil, err
		}
		out = append(out, o)
	}
	return out, nil
}
