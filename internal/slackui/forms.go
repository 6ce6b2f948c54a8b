package slackui

import (
	"strings"

	"github.com/slack-go/slack"

	"github.com/incident-bridge/incident-bridge/internal/incident"
)

// Modal titles, submit labels and input labels people fill forms by
// (SPEC §4).
const (
	titleDeclare  = "Declare incident"
	titleEdit     = "Edit incident"
	submitDeclare = "Declare"
	submitSave    = "Save"
	closeCancel   = "Cancel"

	labelTitle       = "Title"
	labelSeverity    = "Severity"
	labelStatus      = "Status"
	labelCommander   = "Commander"
	labelImpact      = "Customer impact"
	labelDescription = "Description"
)

// DeclareForm is a submitted Declare incident modal. Severity is
// incident.SevUnknown and Commander empty when not chosen.
type DeclareForm struct {
	Title          string
	Description    string
	Severity       incident.Severity
	Commander      incident.UserID
	CustomerImpact bool
}

// DeclareModal is the Declare incident modal (callback CallbackDeclare) with
// inputs Title (required, prefilled with title), Severity, Commander,
// Customer impact (Yes/No, initially No) and Description. meta is carried in
// private_metadata (at most 3000 characters) and comes back on submission.
func DeclareModal(title, meta string) slack.ModalViewRequest {
	blocks := []slack.Block{
		titleInput(title),
		severityInput(incident.SevUnknown),
		commanderInput(""),
		impactInput(false),
		descriptionInput(""),
	}
	return modal(CallbackDeclare, titleDeclare, submitDeclare, meta, blocks)
}

// ParseDeclare reads a submitted Declare incident modal. The problems are
// keyed by incident.Field* names, for ViewErrors; the form is filled as far
// as it could be read even when there are problems.
func ParseDeclare(v slack.View) (DeclareForm, incident.FieldErrors) {
	st := stateOf(v)
	f := DeclareForm{
		Title:       st.text(blockTitle),
		Description: st.text(blockDescription),
	}
	var errs incident.FieldErrors
	if sev, ok, fe := parseSeverity(st); fe != nil {
		errs = append(errs, *fe)
	} else if ok {
		f.Severity = sev
	}
	if u, _ := st.user(blockCommander); u != "" {
		f.Commander = incident.UserID(u)
	}
	if impact, ok, fe := parseImpact(st); fe != nil {
		errs = append(errs, *fe)
	} else if ok {
		f.CustomerImpact = impact
	}
	errs = append(incident.Edit{Title: &f.Title, Description: &f.Description}.Validate(), errs...)
	return f, nonEmpty(errs)
}

// EditModal is the Edit incident modal (callback CallbackEdit, submit Save)
// for inc: the Declare inputs plus Status, each starting at inc's value.
// meta is carried in private_metadata.
func EditModal(inc incident.Incident, meta string) slack.ModalViewRequest {
	blocks := []slack.Block{
		contextLine("edit_ref", "*"+escape(inc.Number.String())+"*"),
		titleInput(inc.Title),
		severityInput(inc.Severity),
		statusInput(inc.Status),
		commanderInput(string(inc.Commander)),
		impactInput(inc.CustomerImpact),
		descriptionInput(inc.Description),
	}
	return modal(CallbackEdit, titleEdit, submitSave, meta, blocks)
}

// ParseEdit reads a submitted Edit incident modal into an Edit that sets
// every field the form shows, for the app to apply (incident.Apply keeps
// only real changes). Slack submits every input's current value, including
// untouched initial ones, so an empty Commander means nobody commands. The
// exceptions are selects a user cannot clear: Severity is nil when none was
// chosen (the incident stays UNKNOWN), and Status and CustomerImpact are nil
// when missing. Problems are keyed by incident.Field* names.
func ParseEdit(v slack.View) (incident.Edit, incident.FieldErrors) {
	st := stateOf(v)
	title := st.text(blockTitle)
	desc := st.text(blockDescription)
	e := incident.Edit{Title: &title, Description: &desc}

	var errs incident.FieldErrors
	if sev, ok, fe := parseSeverity(st); fe != nil {
		errs = append(errs, *fe)
	} else if ok {
		e.Severity = &sev
	}
	if s, ok := st.selected(blockStatus); ok {
		status, err := incident.ParseStatus(s)
		if err != nil {
			errs = append(errs, incident.FieldError{Field: string(incident.FieldStatus), Msg: "Choose active, stable or resolved."})
		} else {
			e.Status = &status
		}
	}
	u, _ := st.user(blockCommander) // missing reads as nobody
	commander := incident.UserID(u)
	e.Commander = &commander
	if impact, ok, fe := parseImpact(st); fe != nil {
		errs = append(errs, *fe)
	} else if ok {
		e.CustomerImpact = &impact
	}
	errs = append(e.Validate(), errs...)
	return keepChanged(e, v), nonEmpty(errs)
}

// keepChanged drops from e the fields the person left at the value the
// modal opened with, so saving the modal does not undo a change someone
// else made in the meantime (a lost update). Without the view's blocks
// every field counts as changed.
func keepChanged(e incident.Edit, v slack.View) incident.Edit {
	init := initialValues(v)
	same := func(block, value string) bool {
		iv, ok := init[block]
		return ok && iv == value
	}
	if e.Title != nil && same(blockTitle, *e.Title) {
		e.Title = nil
	}
	if e.Description != nil && same(blockDescription, *e.Description) {
		e.Description = nil
	}
	if e.Severity != nil && same(blockSeverity, severityValue(*e.Severity)) {
		e.Severity = nil
	}
	if e.Status != nil && same(blockStatus, e.Status.String()) {
		e.Status = nil
	}
	if e.Commander != nil && same(blockCommander, string(*e.Commander)) {
		e.Commander = nil
	}
	if e.CustomerImpact != nil && same(blockImpact, impactValue(*e.CustomerImpact)) {
		e.CustomerImpact = nil
	}
	return e
}

// parseSeverity reads the Severity select: ok is false when nothing was
// chosen, fe is set for a value that is no severity.
func parseSeverity(st state) (sev incident.Severity, ok bool, fe *incident.FieldError) {
	v, ok := st.selected(blockSeverity)
	if !ok {
		return incident.SevUnknown, false, nil
	}
	sev, err := incident.ParseSeverity(v)
	if err != nil {
		return incident.SevUnknown, false, &incident.FieldError{Field: string(incident.FieldSeverity), Msg: "Choose SEV-1 to SEV-5."}
	}
	return sev, true, nil
}

// parseImpact reads the Customer impact select.
func parseImpact(st state) (impact, ok bool, fe *incident.FieldError) {
	v, ok := st.selected(blockImpact)
	if !ok {
		return false, false, nil
	}
	impact, err := incident.ParseImpact(v)
	if err != nil {
		return false, false, &incident.FieldError{Field: string(incident.FieldCustomerImpact), Msg: "Choose Yes or No."}
	}
	return impact, true, nil
}

func nonEmpty(errs incident.FieldErrors) incident.FieldErrors {
	if len(errs) == 0 {
		return nil
	}
	return errs
}

// modal assembles a modal view with a Cancel button.
func modal(callbackID, title, submit, meta string, blocks []slack.Block) slack.ModalViewRequest {
	return slack.ModalViewRequest{
		Type:            slack.VTModal,
		Title:           plain(truncate(title, maxModalText)),
		Submit:          plain(truncate(submit, maxModalText)),
		Close:           plain(closeCancel),
		Blocks:          slack.Blocks{BlockSet: blocks},
		PrivateMetadata: meta,
		CallbackID:      callbackID,
	}
}

// input is an input block whose action ID equals its block ID.
func input(blockID, label string, hint string, optional bool, el slack.BlockElement) *slack.InputBlock {
	var h *slack.TextBlockObject
	if hint != "" {
		h = plain(hint)
	}
	return slack.NewInputBlock(blockID, plain(label), h, el).WithOptional(optional)
}

func option(value, text string) *slack.OptionBlockObject {
	return slack.NewOptionBlockObject(value, plain(text), nil)
}

func titleInput(title string) *slack.InputBlock {
	el := slack.NewPlainTextInputBlockElement(plain("e.g. Checkout errors"), blockTitle).
		WithMaxLength(incident.MaxTitle).
		WithInitialValue(cut(strings.TrimSpace(title), incident.MaxTitle))
	return input(blockTitle, labelTitle, "", false, el)
}

func severityOptions() []*slack.OptionBlockObject {
	var opts []*slack.OptionBlockObject
	for _, s := range incident.Severities() {
		opts = append(opts, option(s.String(), s.String()))
	}
	return opts
}

func severityInput(sev incident.Severity) *slack.InputBlock {
	el := slack.NewOptionsSelectBlockElement(slack.OptTypeStatic, plain("Choose a severity"), blockSeverity, severityOptions()...)
	if sev.Valid() {
		el.WithInitialOption(option(sev.String(), sev.String()))
	}
	return input(blockSeverity, labelSeverity, "", true, el)
}

func statusInput(status incident.Status) *slack.InputBlock {
	var opts []*slack.OptionBlockObject
	for _, s := range incident.Statuses() {
		opts = append(opts, option(s.String(), s.String()))
	}
	el := slack.NewOptionsSelectBlockElement(slack.OptTypeStatic, plain("Choose a status"), blockStatus, opts...).
		WithInitialOption(option(status.String(), status.String()))
	return input(blockStatus, labelStatus, "", false, el)
}

func commanderInput(user string) *slack.InputBlock {
	el := slack.NewOptionsSelectBlockElement(slack.OptTypeUser, plain("Choose a person"), blockCommander)
	if user != "" {
		el.WithInitialUser(user)
	}
	return input(blockCommander, labelCommander, "", true, el)
}

func impactInput(impact bool) *slack.InputBlock {
	yes, no := option("yes", "Yes"), option("no", "No")
	initial := no
	if impact {
		initial = yes
	}
	el := slack.NewOptionsSelectBlockElement(slack.OptTypeStatic, plain("Yes or no"), blockImpact, yes, no).
		WithInitialOption(initial)
	return input(blockImpact, labelImpact, "", false, el)
}

func descriptionInput(desc string) *slack.InputBlock {
	el := slack.NewPlainTextInputBlockElement(plain("What is happening, who is affected?"), blockDescription).
		WithMultiline(true).
		WithMaxLength(incident.MaxDescription)
	if desc != "" {
		el.WithInitialValue(cut(desc, incident.MaxDescription))
	}
	return input(blockDescription, labelDescription, "", true, el)
}

// severityValue is a severity's option value in the Severity select.
func severityValue(s incident.Severity) string { return s.String() }

// impactValue is a customer-impact option value in the Customer impact select.
func impactValue(b bool) string { return incident.YesNo(b) }
