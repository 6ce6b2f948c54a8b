package slackui

import (
	"fmt"
	"strings"

	"github.com/slack-go/slack"

	"github.com/incident-bridge/incident-bridge/internal/incident"
)

// helpGroup is one section of the help: a heading and its commands.
type helpGroup struct {
	heading  string
	commands [][2]string // command, what it does
}

func helpGroups() []helpGroup {
	return []helpGroup{
		{"Anywhere", [][2]string{
			{"/incident help", "this help"},
			{"/incident declare [title]", "declare an incident: opens a form, then creates its channel"},
			{"/incident adopt [title]", "make the current channel an incident channel"},
			{"/incident list", "open incidents, most severe first"},
		}},
		{"In an incident channel", [][2]string{
			{"/incident severity <level>", "SEV-1 … SEV-5 (sev1, 1 work too)"},
			{"/incident status <state>", "active, stable or resolved"},
			{"/incident commander <@user>", "set the incident commander"},
			{"/incident title <text>", "rename the incident"},
			{"/incident impact yes|no", "customer impact"},
			{"/incident edit", "edit every field in a form"},
			{"/incident resolve", "mark the incident resolved"},
			{"/incident zoom", "create the Zoom meeting, or show it if there is one"},
			{"/incident zoom new", "replace the meeting with a new one (e.g. after it ended)"},
		}},
		{"Zoom account and settings", [][2]string{
			{"/incident zoom connect", "connect a Zoom account (admins)"},
			{"/incident zoom disconnect", "disconnect it and revoke its access (admins)"},
			{"/incident zoom status", "show the Zoom connection"},
			{"/incident settings", "Zoom and Slack settings (admins)"},
		}},
	}
}

// Help is the usage of every /incident subcommand (SPEC §4).
func Help() Message {
	blocks := []slack.Block{slack.NewHeaderBlock(plain("incident-bridge: /incident commands"), slack.HeaderBlockOptionBlockID("help_header"))}
	for i, g := range helpGroups() {
		var b strings.Builder
		b.WriteString("*" + g.heading + "*")
		for _, c := range g.commands {
			b.WriteString("\n`" + escape(c[0]) + "`: " + escape(c[1]))
		}
		blocks = append(blocks, section(fmt.Sprintf("help_%d", i), b.String()))
	}
	blocks = append(blocks, contextLine("help_note", "Commands are case-insensitive. Changes are announced in the incident channel and shown in its pinned header."))
	return Message{Text: "/incident commands: help, declare, adopt, list, severity, status, commander, title, impact, edit, resolve, zoom, zoom new, zoom connect, zoom disconnect, zoom status, settings", Blocks: blocks}
}

// maxListed is how many incidents List shows before "and N more", keeping
// the message within Slack's 50 blocks.
const maxListed = 45

// List shows open incidents in the order given (most severe first): each
// with its channel, severity, status, commander and meeting join link or "no
// meeting". Resolved incidents are left out. Past maxListed it ends with
// "and N more".
func List(incs []incident.Incident) Message {
	var open []incident.Incident
	for _, inc := range incs {
		if inc.Open() {
			open = append(open, inc)
		}
	}
	if len(open) == 0 {
		return Notice("No open incidents.")
	}
	blocks := []slack.Block{slack.NewHeaderBlock(plain(fmt.Sprintf("Open incidents (%d)", len(open))), slack.HeaderBlockOptionBlockID("list_header"))}
	for i, inc := range open {
		if i == maxListed {
			blocks = append(blocks, contextLine("list_more", fmt.Sprintf("…and %d more.", len(open)-maxListed)))
			break
		}
		blocks = append(blocks, section(fmt.Sprintf("list_%d", i), listLine(inc)))
	}
	text := fmt.Sprintf("%d open incidents", len(open))
	if len(open) == 1 {
		text = "1 open incident"
	}
	return Message{Text: text, Blocks: blocks}
}

// listLine is one incident in List.
func listLine(inc incident.Incident) string {
	var where string
	switch {
	case inc.Channel != "":
		where = "<#" + string(inc.Channel) + "> "
	case inc.ChannelName != "":
		where = "#" + escape(inc.ChannelName) + " "
	}
	commander := "no commander"
	if inc.Commander != "" {
		commander = "commander " + mention(string(inc.Commander))
	}
	meeting := "no meeting"
	if m := inc.Meeting; m != nil {
		meeting = link(m.JoinURL, "join meeting")
	}
	return fmt.Sprintf("%s*%s*\n%s · %s · %s · %s", where, escape(inc.Ref()), inc.Severity, inc.Status, commander, meeting)
}

// ChangeLine describes changes for the channel, e.g. "<@U1> set severity
// SEV-2 → SEV-1 and status active → stable". Commanders are shown as
// mentions; a new description is only mentioned, not quoted. by is empty
// for the app itself. It returns "" when there are no changes.
func ChangeLine(by incident.UserID, changes []incident.Change) string {
	if len(changes) == 0 {
		return ""
	}
	var sets []string
	described := false
	for _, c := range changes {
		if c.Field == incident.FieldDescription {
			described = true
			continue
		}
		sets = append(sets, fmt.Sprintf("%s %s → %s", c.Field, changeValue(c.Field, c.Old), changeValue(c.Field, c.New)))
	}
	who := "incident-bridge"
	if by != "" {
		who = mention(string(by))
	}
	var b strings.Builder
	b.WriteString(who)
	if len(sets) > 0 {
		b.WriteString(" set " + joinAnd(sets))
	}
	if described {
		if len(sets) > 0 {
			b.WriteString(" and")
		}
		b.WriteString(" updated the description")
	}
	return truncate(b.String(), maxSectionText)
}

// changeValue renders one side of a change.
func changeValue(f incident.Field, v string) string {
	switch {
	case f == incident.FieldCommander:
		return mention(v)
	case v == "":
		return "none"
	case f == incident.FieldTitle:
		return "“" + escape(v) + "”"
	}
	return escape(v)
}

// joinAnd joins "a", "b, c" style: a, b and c.
func joinAnd(parts []string) string {
	if len(parts) == 1 {
		return parts[0]
	}
	return strings.Join(parts[:len(parts)-1], ", ") + " and " + parts[len(parts)-1]
}
