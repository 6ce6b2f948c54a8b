package fakeslack

import (
	"fmt"
	"regexp"
	"slices"
	"unicode/utf8"
)

// Block Kit limits (reference/slack.md §8 and docs.slack.dev block reference).
const (
	maxMessageBlocks = 50
	maxViewBlocks    = 100
	maxMessageText   = 4000
)

// datePattern is the YYYY-MM-DD format of datepicker values.
var datePattern = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}$`)

// elementSet reports whether an element type is allowed in some place.
type elementSet func(typ string) bool

// isInputElement: the elements an input block can hold.
func isInputElement(typ string) bool {
	switch typ {
	case "plain_text_input", "email_text_input", "url_text_input", "number_input",
		"checkboxes", "radio_buttons", "static_select", "multi_static_select",
		"external_select", "multi_external_select", "users_select", "multi_users_select",
		"conversations_select", "multi_conversations_select", "channels_select",
		"multi_channels_select", "datepicker", "timepicker", "datetimepicker",
		"rich_text_input", "file_input":
		return true
	}
	return false
}

// isActionElement: the elements an actions block can hold.
func isActionElement(typ string) bool {
	switch typ {
	case "button", "checkboxes", "radio_buttons", "static_select", "multi_static_select",
		"external_select", "multi_external_select", "users_select", "multi_users_select",
		"conversations_select", "multi_conversations_select", "channels_select",
		"multi_channels_select", "datepicker", "timepicker", "datetimepicker",
		"overflow", "workflow_button", "rich_text_input":
		return true
	}
	return false
}

// isAccessoryElement: the elements a section's accessory can be.
func isAccessoryElement(typ string) bool { return typ == "image" || isActionElement(typ) }

func isImage(typ string) bool { return typ == "image" }

// isBlockType: the block types Slack knows.
func isBlockType(typ string) bool {
	switch typ {
	case "section", "divider", "image", "actions", "context", "input", "header",
		"rich_text", "video", "file", "markdown", "call", "table", "context_actions":
		return true
	}
	return false
}

// checker collects Block Kit validation errors in Slack's wording,
// "[ERROR] <what> [json-pointer:<where>]".
type checker struct{ errs []string }

func (c *checker) fail(ptr, format string, args ...any) {
	c.errs = append(c.errs, fmt.Sprintf("[ERROR] %s [json-pointer:%s]", fmt.Sprintf(format, args...), ptr))
}

func (c *checker) ok() bool { return len(c.errs) == 0 }

// blocks checks an array of blocks and returns it; ptr is its JSON pointer.
func (c *checker) blocks(v any, maxBlocks int, ptr string) []any {
	arr, ok := v.([]any)
	if !ok {
		c.fail(ptr, "must be an array")
		return nil
	}
	if len(arr) > maxBlocks {
		c.fail(ptr, "no more than %d items allowed", maxBlocks)
	}
	ids := map[string]bool{}
	for i, b := range arr {
		c.block(b, fmt.Sprintf("%s/%d", ptr, i), ids)
	}
	return arr
}

func (c *checker) block(v any, ptr string, ids map[string]bool) {
	b, ok := v.(map[string]any)
	if !ok {
		c.fail(ptr, "must be an object")
		return
	}
	typ, _ := b["type"].(string)
	if !isBlockType(typ) {
		c.fail(ptr+"/type", "unsupported type %q", typ)
		return
	}
	if id, present := b["block_id"]; present {
		s, ok := id.(string)
		switch {
		case !ok || s == "":
			c.fail(ptr+"/block_id", "must be a non-empty string")
		case utf8.RuneCountInString(s) > 255:
			c.fail(ptr+"/block_id", "must be less than 256 characters")
		case ids[s]:
			c.fail(ptr+"/block_id", "duplicate block_id %q", s)
		}
		ids[s] = true
	}
	switch typ {
	case "section":
		_, hasText := b["text"]
		fields, hasFields := b["fields"]
		if !hasText && !hasFields {
			c.fail(ptr, "must provide text or fields")
		}
		if hasText {
			c.text(b["text"], ptr+"/text", false, 3000)
		}
		if hasFields {
			arr, ok := fields.([]any)
			if !ok || len(arr) == 0 || len(arr) > 10 {
				c.fail(ptr+"/fields", "must be an array of 1 to 10 text objects")
			}
			for i, f := range arr {
				c.text(f, fmt.Sprintf("%s/fields/%d", ptr, i), false, 2000)
			}
		}
		if acc, ok := b["accessory"]; ok {
			c.element(acc, ptr+"/accessory", isAccessoryElement, map[string]bool{})
		}
	case "header":
		c.text(b["text"], ptr+"/text", true, 150)
	case "actions":
		c.elementList(b["elements"], ptr+"/elements", 25, isActionElement)
	case "context":
		arr, ok := b["elements"].([]any)
		if !ok || len(arr) == 0 || len(arr) > 10 {
			c.fail(ptr+"/elements", "must be an array of 1 to 10 elements")
		}
		for i, e := range arr {
			p := fmt.Sprintf("%s/elements/%d", ptr, i)
			if m, _ := e.(map[string]any); m != nil && m["type"] == "image" {
				c.element(e, p, isImage, map[string]bool{})
			} else {
				c.text(e, p, false, 3000)
			}
		}
	case "input":
		c.text(b["label"], ptr+"/label", true, 2000)
		if h, ok := b["hint"]; ok {
			c.text(h, ptr+"/hint", true, 2000)
		}
		if _, ok := b["element"]; !ok {
			c.fail(ptr+"/element", "is required")
		} else {
			c.element(b["element"], ptr+"/element", isInputElement, map[string]bool{})
		}
	case "image":
		c.str(b, "alt_text", ptr, 2000, true)
		if _, ok := b["slack_file"]; !ok {
			c.str(b, "image_url", ptr, 3000, true)
		}
	case "markdown":
		c.str(b, "text", ptr, 12000, true)
	case "rich_text":
		if _, ok := b["elements"].([]any); !ok {
			c.fail(ptr+"/elements", "must be an array")
		}
	}
}

func (c *checker) elementList(v any, ptr string, limit int, allowed elementSet) {
	arr, ok := v.([]any)
	if !ok || len(arr) == 0 {
		c.fail(ptr, "must be a non-empty array")
		return
	}
	if len(arr) > limit {
		c.fail(ptr, "no more than %d items allowed", limit)
	}
	actionIDs := map[string]bool{}
	for i, e := range arr {
		c.element(e, fmt.Sprintf("%s/%d", ptr, i), allowed, actionIDs)
	}
}

func (c *checker) element(v any, ptr string, allowed elementSet, actionIDs map[string]bool) {
	e, ok := v.(map[string]any)
	if !ok {
		c.fail(ptr, "must be an object")
		return
	}
	typ, _ := e["type"].(string)
	if !allowed(typ) {
		c.fail(ptr+"/type", "unsupported type %q here", typ)
		return
	}
	if id, present := e["action_id"]; present {
		s, ok := id.(string)
		switch {
		case !ok || s == "":
			c.fail(ptr+"/action_id", "must be a non-empty string")
		case utf8.RuneCountInString(s) > 255:
			c.fail(ptr+"/action_id", "must be less than 256 characters")
		case actionIDs[s]:
			c.fail(ptr+"/action_id", "duplicate action_id %q", s)
		}
		actionIDs[s] = true
	}
	if p, ok := e["placeholder"]; ok {
		c.text(p, ptr+"/placeholder", true, 150)
	}
	switch typ {
	case "button":
		c.text(e["text"], ptr+"/text", true, 75)
		c.str(e, "value", ptr, 2000, false)
		c.str(e, "url", ptr, 3000, false)
		if st, ok := e["style"]; ok && st != "primary" && st != "danger" {
			c.fail(ptr+"/style", "must be one of primary, danger")
		}
	case "image":
		c.str(e, "alt_text", ptr, 2000, true)
		if _, ok := e["slack_file"]; !ok {
			c.str(e, "image_url", ptr, 3000, true)
		}
	case "static_select", "multi_static_select":
		opts := c.options(e, ptr, 100, true)
		c.initialOptions(e, ptr, opts)
	case "checkboxes", "radio_buttons":
		opts := c.options(e, ptr, 10, false)
		c.initialOptions(e, ptr, opts)
	case "overflow":
		c.options(e, ptr, 5, true)
	case "plain_text_input":
		c.str(e, "initial_value", ptr, 3000, false)
		minLen, _ := e["min_length"].(float64)
		if maxLen, ok := e["max_length"].(float64); ok && (maxLen < 1 || maxLen > 3000 || maxLen < minLen) {
			c.fail(ptr+"/max_length", "must be between 1 and 3000 and not below min_length")
		}
	case "datepicker":
		if d, ok := e["initial_date"].(string); ok && !datePattern.MatchString(d) {
			c.fail(ptr+"/initial_date", "must be YYYY-MM-DD")
		}
	}
}

// options checks options or option_groups and returns every option.
func (c *checker) options(e map[string]any, ptr string, limit int, plainOnly bool) []map[string]any {
	var all []map[string]any
	check := func(v any, p string) {
		arr, ok := v.([]any)
		if !ok || len(arr) == 0 || len(arr) > limit {
			c.fail(p, "must be an array of 1 to %d options", limit)
			return
		}
		for i, o := range arr {
			op := fmt.Sprintf("%s/%d", p, i)
			m, ok := o.(map[string]any)
			if !ok {
				c.fail(op, "must be an object")
				continue
			}
			c.text(m["text"], op+"/text", plainOnly, 75)
			c.str(m, "value", op, 150, true)
			all = append(all, m)
		}
	}
	if groups, ok := e["option_groups"].([]any); ok {
		for i, g := range groups {
			gm, _ := g.(map[string]any)
			check(gm["options"], fmt.Sprintf("%s/option_groups/%d/options", ptr, i))
		}
		return all
	}
	check(e["options"], ptr+"/options")
	return all
}

// initialOptions checks that initial_option(s) are among the options, which
// Slack requires.
func (c *checker) initialOptions(e map[string]any, ptr string, opts []map[string]any) {
	var initial []any
	if o, ok := e["initial_option"]; ok {
		initial = []any{o}
	}
	if os, ok := e["initial_options"].([]any); ok {
		initial = append(initial, os...)
	}
	for _, io := range initial {
		im, _ := io.(map[string]any)
		if !slices.ContainsFunc(opts, func(o map[string]any) bool { return o["value"] == im["value"] }) {
			c.fail(ptr+"/initial_option", "must match one of the provided options")
		}
	}
}

// text checks a composition text object.
func (c *checker) text(v any, ptr string, plainOnly bool, limit int) {
	t, ok := v.(map[string]any)
	if !ok {
		c.fail(ptr, "must be a text object")
		return
	}
	typ, _ := t["type"].(string)
	if typ != "plain_text" && (plainOnly || typ != "mrkdwn") {
		c.fail(ptr+"/type", "must be plain_text%s", map[bool]string{false: " or mrkdwn"}[plainOnly])
	}
	s, _ := t["text"].(string)
	switch n := utf8.RuneCountInString(s); {
	case n == 0:
		c.fail(ptr+"/text", "must be more than 0 characters")
	case n > limit:
		c.fail(ptr+"/text", "must be less than %d characters", limit+1)
	}
}

// str checks an optional or required string property's length.
func (c *checker) str(m map[string]any, key, ptr string, limit int, required bool) {
	v, present := m[key]
	if !present {
		if required {
			c.fail(ptr+"/"+key, "is required")
		}
		return
	}
	s, ok := v.(string)
	if !ok || (required && s == "") {
		c.fail(ptr+"/"+key, "must be a non-empty string")
		return
	}
	if utf8.RuneCountInString(s) > limit {
		c.fail(ptr+"/"+key, "must be less than %d characters", limit+1)
	}
}

// assignIDs gives every block a block_id and every interactive element an
// action_id, as Slack does for those the app left out.
func assignIDs(blocks []any, newID func() string) {
	for _, b := range blocks {
		bm, ok := b.(map[string]any)
		if !ok {
			continue
		}
		if _, ok := bm["block_id"]; !ok {
			bm["block_id"] = newID()
		}
		var elems []any
		if arr, ok := bm["elements"].([]any); ok && bm["type"] == "actions" {
			elems = arr
		}
		for _, k := range []string{"accessory", "element"} {
			if e, ok := bm[k]; ok {
				elems = append(elems, e)
			}
		}
		for _, e := range elems {
			em, ok := e.(map[string]any)
			if !ok || em["type"] == "image" {
				continue
			}
			if _, ok := em["action_id"]; !ok {
				em["action_id"] = newID()
			}
		}
	}
}
