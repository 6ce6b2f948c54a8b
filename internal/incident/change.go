package incident

import (
	"strings"
	"time"
	"unicode/utf8"
)

// Field names an incident field that can change.
type Field string

// The fields users change.
const (
	FieldTitle          Field = "title"
	FieldSeverity       Field = "severity"
	FieldStatus         Field = "status"
	FieldCommander      Field = "commander"
	FieldCustomerImpact Field = "customer impact"
	FieldDescription    Field = "description"
)

// MaxTitle is the longest title accepted: it must fit a Slack header block
// (150) with the "INC-n: " prefix.
const MaxTitle = 120

// MaxDescription is the longest description accepted.
const MaxDescription = 2900

// EventKind is what happened in a timeline event. Persisted: append only.
type EventKind int

// Timeline event kinds.
const (
	EventDeclared EventKind = iota
	EventAdopted
	EventChanged
	EventMeetingCreated
	EventMeetingReplaced
	EventChannelRenamed
	EventChannelArchived
	EventChannelUnarchived
)

// Change is one field's old and new value, as users see them.
type Change struct {
	Field Field
	Old   string
	New   string
}

// Event is one timeline entry.
type Event struct {
	Kind    EventKind
	By      UserID // empty for the app itself
	At      time.Time
	Changes []Change
	Note    string
}

// Edit is a set of field changes; nil fields are left alone.
type Edit struct {
	Title          *string
	Description    *string
	Severity       *Severity
	Status         *Status
	Commander      *UserID
	CustomerImpact *bool
}

// Validate checks the values an edit would set.
func (e Edit) Validate() FieldErrors {
	var errs FieldErrors
	if e.Title != nil {
		if err := ValidateTitle(*e.Title); err != nil {
			errs = append(errs, FieldError{string(FieldTitle), err.Error()})
		}
	}
	if e.Description != nil && utf8.RuneCountInString(*e.Description) > MaxDescription {
		errs = append(errs, FieldError{string(FieldDescription), "Keep the description under 2,900 characters."})
	}
	if e.Severity != nil && !e.Severity.Valid() {
		errs = append(errs, FieldError{string(FieldSeverity), "Choose SEV-1 to SEV-5."})
	}
	return errs
}

// ValidateTitle rejects empty and over-long titles with a *Problem.
func ValidateTitle(t string) error {
	t = strings.TrimSpace(t)
	switch {
	case t == "":
		return Problemf("The title is empty. Give the incident a short title, e.g. `Checkout errors`.")
	case utf8.RuneCountInString(t) > MaxTitle:
		return Problemf("The title is %d characters; keep it to %d.", utf8.RuneCountInString(t), MaxTitle)
	}
	return nil
}

// Apply sets the edit's fields on inc and returns what actually changed;
// setting a field to its current value is not a change.
func (inc *Incident) Apply(e Edit) []Change {
	var cs []Change
	if e.Title != nil {
		if t := strings.TrimSpace(*e.Title); t != inc.Title {
			cs = append(cs, Change{FieldTitle, inc.Title, t})
			inc.Title = t
		}
	}
	if e.Description != nil {
		if d := strings.TrimSpace(*e.Description); d != inc.Description {
			cs = append(cs, Change{FieldDescription, inc.Description, d})
			inc.Description = d
		}
	}
	if e.Severity != nil && *e.Severity != inc.Severity {
		cs = append(cs, Change{FieldSeverity, inc.Severity.String(), e.Severity.String()})
		inc.Severity = *e.Severity
	}
	if e.Status != nil && *e.Status != inc.Status {
		cs = append(cs, Change{FieldStatus, inc.Status.String(), e.Status.String()})
		inc.Status = *e.Status
	}
	if e.Commander != nil && *e.Commander != inc.Commander {
		cs = append(cs, Change{FieldCommander, string(inc.Commander), string(*e.Commander)})
		inc.Commander = *e.Commander
	}
	if e.CustomerImpact != nil && *e.CustomerImpact != inc.CustomerImpact {
		cs = append(cs, Change{FieldCustomerImpact, yesNo(inc.CustomerImpact), yesNo(*e.CustomerImpact)})
		inc.CustomerImpact = *e.CustomerImpact
	}
	return cs
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

// YesNo renders a customer-impact flag as users see it.
func YesNo(b bool) string { return yesNo(b) }

func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}
