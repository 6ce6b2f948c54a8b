package fakeslack

import (
	"encoding/json"
	"strings"
)

// Texts returns what a person sees of a message, one string per piece: with
// blocks, each header, section text and field, context element, input label,
// rich text, and each button's text followed by its URL for link buttons;
// without blocks, the message text. (With blocks, Slack shows text only in
// notifications, so it is not included.)
func Texts(m Message) []string { return visibleTexts(m.Text, m.Blocks) }

// Text is Texts joined by newlines, for substring assertions.
func Text(m Message) string { return strings.Join(Texts(m), "\n") }

// EphemeralTexts is Texts for an ephemeral message.
func EphemeralTexts(e Ephemeral) []string { return visibleTexts(e.Text, e.Blocks) }

// ViewTexts is Texts for a modal: its title, then its blocks.
func ViewTexts(v *View) []string {
	return append([]string{v.Title}, visibleTexts("", v.Blocks)...)
}

func visibleTexts(text string, raw json.RawMessage) []string {
	var blocks []any
	if len(raw) > 0 {
		_ = json.Unmarshal(raw, &blocks) // stored blocks are valid JSON
	}
	if len(blocks) == 0 {
		if text == "" {
			return nil
		}
		return []string{text}
	}
	var out []string
	for _, b := range blocks {
		out = append(out, blockTexts(b)...)
	}
	return out
}

func blockTexts(v any) []string {
	b, _ := v.(map[string]any)
	var out []string
	add := func(s string) {
		if s != "" {
			out = append(out, s)
		}
	}
	switch b["type"] {
	case "header", "section", "markdown":
		add(textOf(b["text"]))
		if s, ok := b["text"].(string); ok {
			add(s)
		}
		if fields, ok := b["fields"].([]any); ok {
			for _, f := range fields {
				add(textOf(f))
			}
		}
		out = append(out, elementTexts(b["accessory"])...)
	case "context", "actions":
		elems, _ := b["elements"].([]any)
		for _, e := range elems {
			if em, _ := e.(map[string]any); em != nil && (em["type"] == "mrkdwn" || em["type"] == "plain_text") {
				add(textOf(e))
				continue
			}
			out = append(out, elementTexts(e)...)
		}
	case "input":
		add(textOf(b["label"]))
		out = append(out, elementTexts(b["element"])...)
		add(textOf(b["hint"]))
	case "image":
		add(textOf(b["title"]))
		add(str(b["alt_text"]))
	case "rich_text":
		var sb strings.Builder
		richText(b["elements"], &sb)
		add(sb.String())
	}
	return out
}

// elementTexts: a button's text and URL, an image's alt text, a select's
// chosen option(s) or placeholder, a text input's initial value.
func elementTexts(v any) []string {
	e, ok := v.(map[string]any)
	if !ok {
		return nil
	}
	var out []string
	add := func(s string) {
		if s != "" {
			out = append(out, s)
		}
	}
	switch e["type"] {
	case "button", "workflow_button":
		add(textOf(e["text"]))
		add(str(e["url"]))
	case "image":
		add(str(e["alt_text"]))
	case "plain_text_input", "email_text_input", "url_text_input", "number_input":
		add(str(e["initial_value"]))
	default:
		if o, ok := e["initial_option"].(map[string]any); ok {
			add(textOf(o["text"]))
		} else if os, ok := e["initial_options"].([]any); ok {
			for _, o := range os {
				om, _ := o.(map[string]any)
				add(textOf(om["text"]))
			}
		} else {
			add(textOf(e["placeholder"]))
		}
	}
	return out
}

func richText(v any, sb *strings.Builder) {
	arr, _ := v.([]any)
	for _, e := range arr {
		m, _ := e.(map[string]any)
		switch m["type"] {
		case "text", "link":
			if t := str(m["text"]); t != "" {
				sb.WriteString(t)
			} else {
				sb.WriteString(str(m["url"]))
			}
		case "user":
			sb.WriteString("<@" + str(m["user_id"]) + ">")
		case "channel":
			sb.WriteString("<#" + str(m["channel_id"]) + ">")
		case "emoji":
			sb.WriteString(":" + str(m["name"]) + ":")
		default:
			richText(m["elements"], sb)
		}
	}
}

// textOf returns a text object's text.
func textOf(v any) string {
	m, _ := v.(map[string]any)
	return str(m["text"])
}

func str(v any) string {
	s, _ := v.(string)
	return s
}

// button is a button found in some blocks.
type button struct {
	blockID string
	elem    map[string]any
}

// findButton returns the first button whose visible text is text, in
// actions blocks and section accessories.
func findButton(blocks []any, text string) (button, bool) {
	text = strings.TrimSpace(text)
	for _, b := range blocks {
		bm, _ := b.(map[string]any)
		var elems []any
		switch bm["type"] {
		case "actions":
			elems, _ = bm["elements"].([]any)
		case "section":
			elems = []any{bm["accessory"]}
		}
		for _, e := range elems {
			em, _ := e.(map[string]any)
			if em["type"] == "button" && strings.TrimSpace(textOf(em["text"])) == text {
				return button{blockID: str(bm["block_id"]), elem: em}, true
			}
		}
	}
	return button{}, false
}

// buttonTexts lists every button's text, for error messages.
func buttonTexts(blocks []any) []string {
	var out []string
	for _, b := range blocks {
		bm, _ := b.(map[string]any)
		elems, _ := bm["elements"].([]any)
		if bm["type"] != "actions" {
			elems = []any{bm["accessory"]}
		}
		for _, e := range elems {
			if em, _ := e.(map[string]any); em["type"] == "button" {
				out = append(out, textOf(em["text"]))
			}
		}
	}
	return out
}
