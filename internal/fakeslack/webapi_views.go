package fakeslack

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
)

// Modal limits (reference/slack.md §4).
const (
	maxViewStack    = 3
	maxViewBytes    = 250_000
	maxTitle        = 24
	maxMetadata     = 3000
	maxCallbackID   = 255
	viewErrorPrefix = "/view"
)

// checkViewLocked validates a modal view as views.open/push/update and
// response_action update/push do, and assigns missing block/action IDs.
func (s *Server) checkViewLocked(v any, present bool, err error) (map[string]any, *apiError) {
	if !present {
		return nil, invalidArgs("invalid_arguments", "[ERROR] missing required field: view")
	}
	m, ok := v.(map[string]any)
	if err != nil || !ok {
		return nil, invalidArgs("invalid_arguments", "[ERROR] must be a JSON object [json-pointer:/view]")
	}
	if b, err := json.Marshal(m); err != nil || len(b) > maxViewBytes {
		return nil, apiErr("view_too_large")
	}
	var c checker
	p := viewErrorPrefix
	if m["type"] != "modal" {
		c.fail(p+"/type", "must be modal")
	}
	c.text(m["title"], p+"/title", true, maxTitle)
	for _, k := range []string{"submit", "close"} {
		if t, ok := m[k]; ok && t != nil {
			c.text(t, p+"/"+k, true, maxTitle)
		}
	}
	blocks := c.blocks(m["blocks"], maxViewBlocks, p+"/blocks")
	hasInput := slices.ContainsFunc(blocks, func(b any) bool {
		bm, _ := b.(map[string]any)
		return bm["type"] == "input"
	})
	if hasInput && m["submit"] == nil {
		c.fail(p, "must provide a submit property when using input blocks")
	}
	c.str(m, "private_metadata", p, maxMetadata, false)
	c.str(m, "callback_id", p, maxCallbackID, false)
	c.str(m, "external_id", p, maxCallbackID, false)
	if !c.ok() {
		return nil, invalidArgs("invalid_arguments", c.errs...)
	}
	assignIDs(blocks, s.shortIDLocked)
	return m, nil
}

// useTriggerLocked checks a trigger_id as views.open/push do (single use,
// valid for TriggerTTL), without consuming it.
func (s *Server) useTriggerLocked(req *request) (*trigger, *apiError) {
	id := req.get("trigger_id")
	if id == "" {
		id = req.get("interactivity_pointer")
	}
	if id == "" {
		return nil, invalidArgs("invalid_arguments", "[ERROR] missing required field: trigger_id")
	}
	t, ok := s.triggers[id]
	switch {
	case !ok:
		return nil, apiErr("invalid_trigger_id")
	case t.used:
		return nil, apiErr("exchanged_trigger_id")
	case s.opts.Now().Sub(t.created) > s.opts.TriggerTTL:
		return nil, apiErr("expired_trigger_id")
	}
	return t, nil
}

func (s *Server) externalIDTakenLocked(spec map[string]any, except string) bool {
	ext := str(spec["external_id"])
	if ext == "" {
		return false
	}
	for id, v := range s.views {
		if id != except && v.externalID == ext {
			return true
		}
	}
	return false
}

func (s *Server) viewsOpen(req *request) (map[string]any, *apiError) {
	t, e := s.useTriggerLocked(req)
	if e != nil {
		return nil, e
	}
	spec, e := s.checkViewLocked(req.jsonArg("view"))
	if e != nil {
		return nil, e
	}
	if s.externalIDTakenLocked(spec, "") {
		return nil, apiErr("duplicate_external_id")
	}
	t.used = true
	for _, id := range s.stacks[t.user] {
		delete(s.views, id)
	}
	v := s.newViewLocked(t.user, spec, "", "")
	s.stacks[t.user] = []string{v.id}
	return map[string]any{"view": s.viewObject(v, nil)}, nil
}

func (s *Server) viewsPush(req *request) (map[string]any, *apiError) {
	t, e := s.useTriggerLocked(req)
	if e != nil {
		return nil, e
	}
	spec, e := s.checkViewLocked(req.jsonArg("view"))
	if e != nil {
		return nil, e
	}
	v, e := s.pushViewLocked(t.user, spec)
	if e != nil {
		return nil, e
	}
	t.used = true
	return map[string]any{"view": s.viewObject(v, nil)}, nil
}

// pushViewLocked puts a new view on top of user's open modal.
func (s *Server) pushViewLocked(user UserID, spec map[string]any) (*view, *apiError) {
	stack := s.stacks[user]
	switch {
	case len(stack) == 0:
		return nil, apiErr("not_found")
	case len(stack) >= maxViewStack:
		return nil, apiErr("push_limit_reached")
	case s.externalIDTakenLocked(spec, ""):
		return nil, apiErr("duplicate_external_id")
	}
	v := s.newViewLocked(user, spec, stack[0], stack[len(stack)-1])
	s.stacks[user] = append(stack, v.id)
	return v, nil
}

func (s *Server) viewsUpdate(req *request) (map[string]any, *apiError) {
	var v *view
	if id := req.get("view_id"); id != "" {
		v = s.views[id]
	} else if ext := req.get("external_id"); ext != "" {
		for _, x := range s.views {
			if x.externalID == ext {
				v = x
			}
		}
	} else {
		return nil, invalidArgs("invalid_arguments", "[ERROR] view_id or external_id is required")
	}
	if v == nil {
		return nil, apiErr("not_found")
	}
	if h := req.get("hash"); h != "" && h != v.hash {
		return nil, apiErr("hash_conflict")
	}
	spec, e := s.checkViewLocked(req.jsonArg("view"))
	if e != nil {
		return nil, e
	}
	if s.externalIDTakenLocked(spec, v.id) {
		return nil, apiErr("duplicate_external_id")
	}
	s.setViewSpecLocked(v, spec)
	return map[string]any{"view": s.viewObject(v, nil)}, nil
}

func (s *Server) newViewLocked(user UserID, spec map[string]any, root, previous string) *view {
	v := &view{id: s.nextIDLocked("V"), user: string(user), rootID: root, previousID: previous}
	if v.rootID == "" {
		v.rootID = v.id
	}
	s.views[v.id] = v
	s.setViewSpecLocked(v, spec)
	return v
}

// setViewSpecLocked replaces a view's content and gives it a new hash.
func (s *Server) setViewSpecLocked(v *view, spec map[string]any) {
	v.spec = spec
	v.hash = fmt.Sprintf("%d.%s", s.opts.Now().Unix(), randomHex(4))
	v.title, v.submit, v.closeText = textOf(spec["title"]), textOf(spec["submit"]), textOf(spec["close"])
	v.callbackID, v.externalID = str(spec["callback_id"]), str(spec["external_id"])
	v.privateMetadata = str(spec["private_metadata"])
	v.notifyOnClose, v.clearOnClose = spec["notify_on_close"] == true, spec["clear_on_close"] == true
}

// viewObject is the view as Slack returns it and sends it in payloads, with
// state.values (empty unless given).
func (s *Server) viewObject(v *view, values map[string]any) map[string]any {
	obj := maps.Clone(v.spec)
	if values == nil {
		values = map[string]any{}
	}
	var previous any
	if v.previousID != "" {
		previous = v.previousID
	}
	for k, val := range map[string]any{
		"id": v.id, "team_id": string(s.opts.Team.ID), "type": "modal",
		"private_metadata": v.privateMetadata, "callback_id": v.callbackID,
		"external_id": v.externalID, "state": map[string]any{"values": values},
		"hash": v.hash, "clear_on_close": v.clearOnClose, "notify_on_close": v.notifyOnClose,
		"root_view_id": v.rootID, "previous_view_id": previous, "app_id": s.opts.AppID,
		"app_installed_team_id": string(s.opts.Team.ID), "bot_id": s.opts.BotID,
	} {
		obj[k] = val
	}
	return obj
}
