package main

import (
	"strings"
	"testing"

	"github.com/incident-bridge/incident-bridge/internal/fakeslack"
)

// TestCommanderByPlainName: when Slack sends "@bob" as plain text (not
// escaped into a mention), the commander is found by name.
func TestCommanderByPlainName(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ch := w.declare(alice, "Plain names", fakeslack.Fields{})
	w.slack.MustSlash(t, alice, ch.ID, "commander @bob")
	fakeslack.Eventually(t, func() bool { return strings.Contains(w.header(ch.ID), "<@UBOB>") })
	if !containsUser(w.slack.Members(ch.ID), bob) {
		t.Error("the new commander was not invited")
	}
	w.slack.MustSlash(t, alice, ch.ID, "commander @nobody-here")
	defer func() {
		if t.Failed() {
			t.Log(w.saw(alice))
		}
	}()
	w.eventuallySaw(alice, "Nobody in this workspace is called @nobody-here")
	if !strings.Contains(w.header(ch.ID), "<@UBOB>") {
		t.Error("an unknown name changed the commander")
	}
}
