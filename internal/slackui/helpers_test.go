package slackui

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/slack-go/slack"

	"github.com/incident-bridge/incident-bridge/internal/incident"
)

// Fixtures shared by the tests.
const (
	joinURL  = "https://example.zoom.us/j/81234567890?pwd=Zm9vYmFy"
	startURL = "https://example.zoom.us/s/81234567890?zak=eyJ0eXAiOiJKV1QiLCJzdiI6IjAwMDAwMSJ9.SECRET-HOST-TOKEN"
)

var declaredAt = time.Date(2025, 3, 4, 5, 6, 7, 0, time.UTC)

func testIncident() incident.Incident {
	return incident.Incident{
		Team:           "T1",
		Number:         42,
		Title:          "Checkout errors",
		Description:    "Payments fail for EU customers.",
		Severity:       incident.Sev2,
		Status:         incident.StatusActive,
		Commander:      "U2",
		CustomerImpact: true,
		Channel:        "C42",
		ChannelName:    "inc-42-checkout-errors",
		DeclaredBy:     "U1",
		DeclaredAt:     declaredAt,
	}
}

func withMeeting(inc incident.Incident, m incident.Meeting) incident.Incident {
	inc.Meeting = &m
	return inc
}

func oneClickMeeting() incident.Meeting {
	return incident.Meeting{
		ID: "81234567890", JoinURL: joinURL, Passcode: "Zm9vYmFy",
		HostKind: incident.HostRequester, HostUser: "U3", CreatedBy: "U3",
		Trigger: incident.TriggerOneClick, CreatedAt: declaredAt.Add(time.Minute),
	}
}

// btn is a button as a user sees and presses it.
type btn struct {
	BlockID, ActionID, Text, URL, Value string
	Style                               slack.Style
	Alone                               bool // the only element of its actions block
}

// buttons lists every button in blocks, in order.
func buttons(blocks []slack.Block) []btn {
	var out []btn
	for _, b := range blocks {
		a, ok := b.(*slack.ActionBlock)
		if !ok {
			continue
		}
		for _, el := range a.Elements.ElementSet {
			if e, ok := el.(*slack.ButtonBlockElement); ok {
				out = append(out, btn{a.BlockID, e.ActionID, e.Text.Text, e.URL, e.Value, e.Style, len(a.Elements.ElementSet) == 1})
			}
		}
	}
	return out
}

func buttonTexts(blocks []slack.Block) []string {
	var out []string
	for _, b := range buttons(blocks) {
		out = append(out, b.Text)
	}
	return out
}

// findButton returns the button with the visible text, as a user finds it.
func findButton(t *testing.T, blocks []slack.Block, text string) btn {
	t.Helper()
	for _, b := range buttons(blocks) {
		if b.Text == text {
			return b
		}
	}
	t.Fatalf("no button %q among %q", text, buttonTexts(blocks))
	return btn{}
}

// allText concatenates every text a message or view shows.
func allText(blocks []slack.Block) string {
	var b strings.Builder
	add := func(t *slack.TextBlockObject) {
		if t != nil {
			b.WriteString(t.Text + "\n")
		}
	}
	for _, bl := range blocks {
		switch x := bl.(type) {
		case *slack.HeaderBlock:
			add(x.Text)
		case *slack.SectionBlock:
			add(x.Text)
			for _, f := range x.Fields {
				add(f)
			}
		case *slack.ContextBlock:
			for _, e := range x.ContextElements.Elements {
				if tx, ok := e.(*slack.TextBlockObject); ok {
					add(tx)
				}
			}
		case *slack.InputBlock:
			add(x.Label)
			add(x.Hint)
		}
	}
	return b.String()
}

func marshal(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("marshal: %v", err)
	}
	return b
}

func runes(s string) int { return utf8.RuneCountInString(s) }

// checkBlocks enforces Slack's Block Kit limits (reference/slack.md §8) on
// blocks, and that they survive a JSON round trip through slack-go with
// every action still in a block with a string block_id.
func checkBlocks(t *testing.T, blocks []slack.Block, maxBlocks int) {
	t.Helper()
	if len(blocks) == 0 || len(blocks) > maxBlocks {
		t.Errorf("%d blocks; want 1..%d", len(blocks), maxBlocks)
	}
	ids := map[string]bool{}
	textOK := func(where string, tx *slack.TextBlockObject, max int) {
		t.Helper()
		if tx == nil {
			return
		}
		if tx.Text == "" || runes(tx.Text) > max {
			t.Errorf("%s text has %d characters; want 1..%d", where, runes(tx.Text), max)
		}
		if tx.Type != slack.PlainTextType && tx.Type != slack.MarkdownType {
			t.Errorf("%s text type %q", where, tx.Type)
		}
	}
	for i, bl := range blocks {
		id := bl.ID()
		if id != "" {
			if ids[id] {
				t.Errorf("block_id %q used twice", id)
			}
			ids[id] = true
			if len(id) > 255 {
				t.Errorf("block_id %q longer than 255", id)
			}
		}
		switch x := bl.(type) {
		case *slack.HeaderBlock:
			textOK("header", x.Text, maxHeaderText)
			if x.Text.Type != slack.PlainTextType {
				t.Errorf("header text must be plain_text")
			}
		case *slack.SectionBlock:
			if x.Text == nil && len(x.Fields) == 0 {
				t.Errorf("block %d: section without text or fields", i)
			}
			textOK("section", x.Text, maxSectionText)
			if len(x.Fields) > 10 {
				t.Errorf("section has %d fields", len(x.Fields))
			}
			for _, f := range x.Fields {
				textOK("field", f, maxFieldText)
			}
		case *slack.ContextBlock:
			if n := len(x.ContextElements.Elements); n == 0 || n > 10 {
				t.Errorf("context has %d elements", n)
			}
			for _, e := range x.ContextElements.Elements {
				if tx, ok := e.(*slack.TextBlockObject); ok {
					textOK("context", tx, maxSectionText)
				}
			}
		case *slack.ActionBlock:
			if id == "" {
				t.Errorf("block %d: actions block without block_id", i)
			}
			if n := len(x.Elements.ElementSet); n == 0 || n > 25 {
				t.Errorf("actions block has %d elements", n)
			}
			actions := map[string]bool{}
			for _, el := range x.Elements.ElementSet {
				b, ok := el.(*slack.ButtonBlockElement)
				if !ok {
					t.Errorf("unexpected element %T", el)
					continue
				}
				if b.ActionID == "" || len(b.ActionID) > 255 || actions[b.ActionID] {
					t.Errorf("button %q: action_id %q missing, too long or repeated", b.Text.Text, b.ActionID)
				}
				actions[b.ActionID] = true
				textOK("button", b.Text, maxButtonText)
				if b.Text.Type != slack.PlainTextType {
					t.Errorf("button text must be plain_text")
				}
				if len(b.Value) > maxButtonValue || len(b.URL) > maxURL {
					t.Errorf("button %q: value or url too long", b.Text.Text)
				}
				if b.URL != "" && !usableURL(b.URL) {
					t.Errorf("button %q: bad url %q", b.Text.Text, b.URL)
				}
			}
		case *slack.InputBlock:
			if id == "" {
				t.Errorf("block %d: input block without block_id", i)
			}
			textOK("label", x.Label, 2000)
			textOK("hint", x.Hint, 2000)
			var opts []*slack.OptionBlockObject
			switch el := x.Element.(type) {
			case *slack.SelectBlockElement:
				opts = el.Options
				textOK("placeholder", el.Placeholder, 150)
			case *slack.MultiSelectBlockElement:
				opts = el.Options
				textOK("placeholder", el.Placeholder, 150)
			case *slack.CheckboxGroupsBlockElement:
				opts = el.Options
			case *slack.PlainTextInputBlockElement:
				textOK("placeholder", el.Placeholder, 150)
				if el.MaxLength > 0 && runes(el.InitialValue) > el.MaxLength {
					t.Errorf("input %q: initial value over max_length", x.Label.Text)
				}
			}
			if len(opts) > 100 {
				t.Errorf("input %q has %d options", x.Label.Text, len(opts))
			}
			for _, o := range opts {
				textOK("option", o.Text, 75)
				if o.Value == "" || len(o.Value) > 150 {
					t.Errorf("input %q: option value %q", x.Label.Text, o.Value)
				}
			}
		case *slack.DividerBlock:
		default:
			t.Errorf("unexpected block %T", bl)
		}
	}

	// Round trip: what Slack would echo back in block_actions payloads.
	raw := marshal(t, slack.Blocks{BlockSet: blocks})
	var back slack.Blocks
	if err := json.Unmarshal(raw, &back); err != nil {
		t.Fatalf("unmarshal blocks: %v", err)
	}
	if len(back.BlockSet) != len(blocks) {
		t.Fatalf("round trip: %d blocks, want %d", len(back.BlockSet), len(blocks))
	}
	for _, bl := range back.BlockSet {
		if a, ok := bl.(*slack.ActionBlock); ok && a.BlockID == "" {
			t.Errorf("round trip: actions block lost its block_id")
		}
	}
}

// checkMessage enforces the limits of a message.
func checkMessage(t *testing.T, m Message) {
	t.Helper()
	if m.Text == "" || runes(m.Text) > maxMessageText {
		t.Errorf("fallback text has %d characters", runes(m.Text))
	}
	checkBlocks(t, m.Blocks, maxBlocks)
}

// checkModal enforces the limits of a modal.
func checkModal(t *testing.T, v slack.ModalViewRequest) {
	t.Helper()
	if v.Type != slack.VTModal || v.CallbackID == "" {
		t.Errorf("type %q callback %q", v.Type, v.CallbackID)
	}
	for name, tx := range map[string]*slack.TextBlockObject{"title": v.Title, "submit": v.Submit, "close": v.Close} {
		if tx == nil || tx.Type != slack.PlainTextType || tx.Text == "" || runes(tx.Text) > maxModalText {
			t.Errorf("modal %s %+v: want plain_text of 1..24", name, tx)
		}
	}
	if len(v.PrivateMetadata) > 3000 {
		t.Errorf("private_metadata too long")
	}
	if !slack.ValidateUniqueBlockID(v) {
		t.Errorf("block_ids not unique")
	}
	checkBlocks(t, v.Blocks.BlockSet, 100)
	var back slack.View
	if err := json.Unmarshal(marshal(t, v), &back); err != nil {
		t.Fatalf("unmarshal view: %v", err)
	}
}

// inputs maps each input block's label to the block.
func inputs(t *testing.T, v slack.ModalViewRequest) map[string]*slack.InputBlock {
	t.Helper()
	out := map[string]*slack.InputBlock{}
	for _, b := range v.Blocks.BlockSet {
		if in, ok := b.(*slack.InputBlock); ok {
			if out[in.Label.Text] != nil {
				t.Fatalf("two inputs labelled %q", in.Label.Text)
			}
			out[in.Label.Text] = in
		}
	}
	return out
}

// inputBlockIDs is the set of the view's input block IDs.
func inputBlockIDs(v slack.ModalViewRequest) map[string]bool {
	out := map[string]bool{}
	for _, b := range v.Blocks.BlockSet {
		if in, ok := b.(*slack.InputBlock); ok {
			out[in.BlockID] = true
		}
	}
	return out
}
