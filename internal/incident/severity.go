package incident

import (
	"strconv"
	"strings"
)

// Severity is an incident's severity. Values are persisted: never reorder,
// only append.
type Severity int

// Severities, most severe first. SevUnknown is the value until one is set.
const (
	SevUnknown Severity = iota
	Sev1
	Sev2
	Sev3
	Sev4
	Sev5
)

// Severities lists the settable levels, most severe first.
func Severities() []Severity { return []Severity{Sev1, Sev2, Sev3, Sev4, Sev5} }

// String renders the severity as users see it: SEV-1 … SEV-5, UNKNOWN.
func (s Severity) String() string {
	if s >= Sev1 && s <= Sev5 {
		return "SEV-" + strconv.Itoa(int(s))
	}
	return "UNKNOWN"
}

// Valid reports whether s is one of the settable levels.
func (s Severity) Valid() bool { return s >= Sev1 && s <= Sev5 }

// Rank orders severities for sorting: lower is more severe, UNKNOWN last.
func (s Severity) Rank() int {
	if s.Valid() {
		return int(s)
	}
	return 99
}

// ParseSeverity accepts SEV-1, sev1, SEV1, Sev-1, "sev 1" and 1, in any case.
// A bad value returns a *Problem that lists the accepted levels.
func ParseSeverity(text string) (Severity, error) {
	t := strings.ToLower(strings.TrimSpace(text))
	t = strings.TrimPrefix(t, "sev")
	t = strings.TrimLeft(t, "- _")
	if n, err := strconv.Atoi(t); err == nil && n >= 1 && n <= 5 {
		return Severity(n), nil
	}
	return SevUnknown, Problemf("%q is not a severity. Use one of SEV-1, SEV-2, SEV-3, SEV-4, SEV-5 (or just 1–5).", strings.TrimSpace(text))
}

// Status is an incident's state. Values are persisted: never reorder, only
// append.
type Status int

// The incident states.
const (
	StatusActive Status = iota
	StatusStable
	StatusResolved
)

// Statuses lists every status in lifecycle order.
func Statuses() []Status { return []Status{StatusActive, StatusStable, StatusResolved} }

// String renders the status as users see it.
func (s Status) String() string {
	switch s {
	case StatusActive:
		return "active"
	case StatusStable:
		return "stable"
	case StatusResolved:
		return "resolved"
	}
	return "unknown"
}

// ParseStatus accepts active, stable and resolved in any case.
func ParseStatus(text string) (Status, error) {
	t := strings.ToLower(strings.TrimSpace(text))
	for _, s := range Statuses() {
		if t == s.String() {
			return s, nil
		}
	}
	return StatusActive, Problemf("%q is not a status. Use one of active, stable, resolved.", strings.TrimSpace(text))
}

// ParseImpact accepts yes/no (and true/false, y/n, on/off) for customer impact.
func ParseImpact(text string) (bool, error) {
	switch strings.ToLower(strings.TrimSpace(text)) {
	case "yes", "y", "true", "on":
		return true, nil
	case "no", "n", "false", "off":
		return false, nil
	}
	return false, Problemf("%q is not a customer impact. Use yes or no.", strings.TrimSpace(text))
}
