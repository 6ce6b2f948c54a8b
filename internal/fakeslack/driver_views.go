package fakeslack

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

// viewByTitleLocked finds user's open modal titled title: the top one when
// top is set (only it can be submitted), else the newest in the stack.
func (s *Server) viewByTitleLocked(user UserID, title string, top bool) (*view, error) {
	stack := s.stacks[user]
	if len(stack) == 0 {
		return nil, fmt.Errorf("fakeslack: %s has no modal open (wanted %q)", user, title)
	}
	var titles []string
	for i := len(stack) - 1; i >= 0; i-- {
		v := s.views[stack[i]]
		if v.title == title {
			return v, nil
		}
		if top {
			return nil, fmt.Errorf("fakeslack: the modal on top for %s is %q, not %q", user, v.title, title)
		}
		titles = append(titles, v.title)
	}
	return nil, fmt.Errorf("fakeslack: %s has no modal %q open (open: %q)", user, title, titles)
}

// SubmitView presses Submit on user's top modal titled title, with fields
// typed over the initial values. It sends view_submission with
// state.values, private_metadata, callback_id and hash, waits for the ack and
// applies its response_action: errors (shown under the fields, the modal
// stays), update, push, clear, or none (the modal closes). Errors naming a
// block that is not an input of the view make SubmitView fail, since Slack
// would reject them.
func (s *Server) SubmitView(ctx context.Context, user UserID, title string, fields Fields) (ViewResult, error) {
	viewID, payload, err := s.prepareSubmit(user, title, fields)
	if err != nil {
		return ViewResult{}, err
	}
	env, err := s.deliver(ctx, "interactive", payload, true)
	res := ViewResult{EnvelopeID: env.id}
	if err != nil {
		return res, err
	}
	res.Latency = env.ackedAt.Sub(env.created)
	return s.applySubmitAck(res, user, viewID, env.ack)
}

func (s *Server) prepareSubmit(user UserID, title string, fields Fields) (string, map[string]any, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, _, err := s.actorLocked(user, "")
	if err != nil {
		return "", nil, err
	}
	v, err := s.viewByTitleLocked(user, title, true)
	if err != nil {
		return "", nil, err
	}
	if v.submit == "" {
		return "", nil, fmt.Errorf("fakeslack: modal %q has no submit button", title)
	}
	values, err := s.stateValuesLocked(v, fields, true)
	if err != nil {
		return "", nil, err
	}
	payload := map[string]any{
		"type": "view_submission", "team": s.teamPayload(), "user": s.userPayload(u),
		"api_app_id": s.opts.AppID, "token": s.opts.VerificationToken,
		"trigger_id": s.newTriggerLocked(user, true), "view": s.viewObject(v, values),
		"response_urls": []any{}, "is_enterprise_install": false, "enterprise": nil,
	}
	return v.id, payload, nil
}

// applySubmitAck shows the result of a view_submission ack.
func (s *Server) applySubmitAck(res ViewResult, user UserID, viewID string, ack json.RawMessage) (ViewResult, error) {
	var a struct {
		ResponseAction string            `json:"response_action"`
		Errors         map[string]string `json:"errors"`
		View           any               `json:"view"`
	}
	var keys map[string]json.RawMessage
	if len(ack) > 0 {
		if json.Unmarshal(ack, &keys) != nil || json.Unmarshal(ack, &a) != nil {
			return res, fmt.Errorf("fakeslack: view_submission ack payload is not a response object; Slack shows \"We had some trouble connecting\"")
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	defer s.notifyLocked()
	v := s.views[viewID]
	if v == nil {
		return res, fmt.Errorf("fakeslack: modal %s was closed while being submitted", viewID)
	}
	res.Action = a.ResponseAction
	switch a.ResponseAction {
	case "":
		if len(keys) > 0 {
			return res, fmt.Errorf("fakeslack: view_submission ack payload %s has no response_action; Slack shows \"We had some trouble connecting\"", ack)
		}
		s.popViewLocked(user, viewID)
		res.Closed = true
	case "errors":
		inputs := inputsOf(v)
		res.Errors = map[string]string{}
		for blockID, msg := range a.Errors {
			i := slices.IndexFunc(inputs, func(in inputBlock) bool { return in.blockID == blockID })
			if i < 0 {
				return res, fmt.Errorf("fakeslack: response_action errors names block %q, which is not an input block of %q; Slack rejects it", blockID, v.title)
			}
			res.Errors[inputs[i].label] = msg
		}
	case "update":
		spec, e := s.checkViewLocked(a.View, a.View != nil, nil)
		if e != nil {
			return res, fmt.Errorf("fakeslack: response_action update: %s %v", e.code, e.extra)
		}
		s.setViewSpecLocked(v, spec)
	case "push":
		spec, e := s.checkViewLocked(a.View, a.View != nil, nil)
		if e == nil {
			_, e = s.pushViewLocked(user, spec)
		}
		if e != nil {
			return res, fmt.Errorf("fakeslack: response_action push: %s %v", e.code, e.extra)
		}
	case "clear":
		for _, id := range s.stacks[user] {
			delete(s.views, id)
		}
		delete(s.stacks, user)
		res.Closed = true
	default:
		return res, fmt.Errorf("fakeslack: unknown response_action %q", a.ResponseAction)
	}
	if stack := s.stacks[user]; len(stack) > 0 {
		res.View = s.viewSnapshotLocked(s.views[stack[len(stack)-1]])
	}
	return res, nil
}

// popViewLocked closes one view; the one below it shows again.
func (s *Server) popViewLocked(user UserID, viewID string) {
	stack := s.stacks[user]
	if i := slices.Index(stack, viewID); i >= 0 {
		s.stacks[user] = slices.Delete(stack, i, i+1)
	}
	delete(s.views, viewID)
	if len(s.stacks[user]) == 0 {
		delete(s.stacks, user)
	}
}

// CloseView presses Cancel (or ×) on user's top modal titled title. With
// notify_on_close Slack sends view_closed, and CloseView waits for its ack.
func (s *Server) CloseView(ctx context.Context, user UserID, title string) error {
	s.mu.Lock()
	u, _, err := s.actorLocked(user, "")
	var v *view
	if err == nil {
		v, err = s.viewByTitleLocked(user, title, true)
	}
	if err != nil {
		s.mu.Unlock()
		return err
	}
	payload := map[string]any{
		"type": "view_closed", "team": s.teamPayload(), "user": s.userPayload(u),
		"api_app_id": s.opts.AppID, "token": s.opts.VerificationToken,
		"view": s.viewObject(v, nil), "is_cleared": false, "is_enterprise_install": false,
	}
	notify := v.notifyOnClose
	if v.clearOnClose {
		for _, id := range s.stacks[user] {
			delete(s.views, id)
		}
		delete(s.stacks, user)
	} else {
		s.popViewLocked(user, v.id)
	}
	s.notifyLocked()
	s.mu.Unlock()
	if !notify {
		return nil
	}
	_, err = s.deliver(ctx, "interactive", payload, false)
	return err
}

func (s *Server) viewSnapshotLocked(v *view) *View {
	out := &View{
		ID: v.id, User: UserID(v.user), Title: v.title, Submit: v.submit, Close: v.closeText,
		CallbackID: v.callbackID, ExternalID: v.externalID, PrivateMetadata: v.privateMetadata,
		Hash: v.hash, RootViewID: v.rootID, PreviousViewID: v.previousID, NotifyOnClose: v.notifyOnClose,
	}
	blocks, _ := v.spec["blocks"].([]any)
	out.Blocks = marshalBlocks(blocks)
	for _, in := range inputsOf(v) {
		input := Input{BlockID: in.blockID, ActionID: in.actionID, Label: in.label, Type: in.typ, Optional: in.optional}
		for _, o := range optionsOf(in.elem) {
			input.Options = append(input.Options, textOf(o["text"]))
		}
		input.Initial = initialOf(in.elem)
		out.Inputs = append(out.Inputs, input)
	}
	return out
}

// initialOf is an element's initial value as a person sees it: a string,
// option text(s), or user/channel ID(s).
func initialOf(e map[string]any) any {
	for _, k := range []string{"initial_value", "initial_date", "initial_time", "initial_user", "initial_conversation", "initial_channel"} {
		if v, ok := e[k].(string); ok {
			return v
		}
	}
	if o, ok := e["initial_option"].(map[string]any); ok {
		return textOf(o["text"])
	}
	var list []string
	if os, ok := e["initial_options"].([]any); ok {
		for _, o := range os {
			om, _ := o.(map[string]any)
			list = append(list, textOf(om["text"]))
		}
		return list
	}
	for _, k := range []string{"initial_users", "initial_conversations", "initial_channels"} {
		if ids, ok := e[k].([]any); ok {
			for _, id := range ids {
				list = append(list, str(id))
			}
			return list
		}
	}
	return nil
}

// Views returns user's open modals, bottom of the stack first.
func (s *Server) Views(user UserID) []*View {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []*View
	for _, id := range s.stacks[user] {
		out = append(out, s.viewSnapshotLocked(s.views[id]))
	}
	return out
}

// OpenView returns the modal user sees (top of the stack), nil if none.
func (s *Server) OpenView(user UserID) *View {
	views := s.Views(user)
	if len(views) == 0 {
		return nil
	}
	return views[len(views)-1]
}

// WaitView waits until user sees a modal titled title and returns it.
func (s *Server) WaitView(ctx context.Context, user UserID, title string) (*View, error) {
	var out *View
	err := s.waitFor(ctx, func() bool {
		stack := s.stacks[user]
		if len(stack) == 0 {
			return false
		}
		if v := s.views[stack[len(stack)-1]]; v.title == title {
			out = s.viewSnapshotLocked(v)
			return true
		}
		return false
	})
	if err != nil {
		var titles []string
		for _, v := range s.Views(user) {
			titles = append(titles, v.Title)
		}
		return nil, fmt.Errorf("wait for modal %q for %s (open: %s): %w", title, user, strings.Join(titles, ", "), err)
	}
	return out, nil
}
