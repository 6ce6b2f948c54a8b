// Package fakeslack is a faithful fake of Slack for one workspace with one
// installed app: the Web API, Socket Mode, and a driver API through which
// tests and the demo play the people in the workspace. It imports no
// production package and writes Slack's JSON itself.
//
// # What it follows
//
// Method names, arguments, scopes and error codes come from
// shared/specs/slack-docs-reference/methods/*.json; shapes of payloads and
// the Socket Mode protocol from shared/reference/slack.md (§n below) and
// slack-go v0.35.0's client:
//
//   - Tokens (§1): forms or queries carry token=, JSON bodies need
//     "Authorization: Bearer" (a token in a JSON body is ignored).
//     apps.connections.open takes only the xapp token in the header; the
//     xapp token cannot call anything else (not_allowed_token_type). Missing
//     → not_authed, wrong → invalid_auth, missing scope → missing_scope with
//     needed/provided. Methods without JSON input (users.info,
//     conversations.info, pins.list, chat.getPermalink) do not read JSON
//     bodies. Unknown methods → unknown_method. Replies are HTTP 200
//     {"ok":…}, with X-OAuth-Scopes.
//   - Socket Mode (§2): one-shot ticket URLs, hello first, WebSocket PINGs
//     every PingInterval, envelopes with envelope_id (UUID),
//     accepts_response_payload (true for slash commands and
//     view_submission), retry_attempt/retry_reason on events_api. Each
//     envelope goes to one of up to 10 sockets (round robin); the 11th gets
//     disconnect too_many_websockets. Acks of 20 KB or more are dropped.
//     Events not acked within AckTimeout come back with the same event_id,
//     a new envelope_id, retry_attempt 1..3 and retry_reason "timeout".
//     Events sent while no socket is open are queued; slash commands and
//     interactions not acked in time are failures the person saw
//     (ErrDispatchFailed).
//   - Payloads (§3–5): slash commands as JSON objects; block_actions with
//     container, channel, message (not for ephemerals), state, response_url
//     and actions carrying block_id; view_submission with
//     state.values[block_id][action_id] shaped per element type; events in
//     event_callback with authorizations. Slack assigns block_id and
//     action_id where the app left them out, and so does the fake.
//   - Modals (§4): trigger_ids are single use and live TriggerTTL (3 s);
//     views are validated (type modal, title ≤ 24, blocks ≤ 100, submit
//     with inputs); stack ≤ 3; hash_conflict on a stale hash; ack
//     response_action errors/update/push/clear; errors for a block that is
//     not an input block fail the submission.
//   - Block Kit (§8): ≤ 50 blocks per message, known block and element
//     types, text objects (plain_text where required), header ≤ 150,
//     section text ≤ 3000, button text ≤ 75, url ≤ 3000, value ≤ 2000,
//     unique block_id, initial options among the options → invalid_blocks
//     with response_metadata.messages; message text ≤ 4000 → msg_too_long.
//   - Channels (§9): names ≤ 80 of a-z, 0-9, -, _; name_taken (archived
//     names too); the bot must be a member to post, invite or pin
//     (not_in_channel); archived channels refuse posts (is_archived).
//     member_joined_channel fires only for channels the bot is in,
//     including its own joins and the people it invites.
//   - users.info shows profile.email only with users:read.email.
//
// # Driver
//
// People act through SlashCommand, ClickButton (by visible text),
// ClickButtonInView, SubmitView (fields by label) and CloseView; the
// workspace changes through JoinChannel, RenameChannel, ArchiveChannel,
// Uninstall and SendEvent. Everything a person sees is readable: Messages
// (with edit history), Ephemerals, Pins, Bookmarks, Views, Members; Texts
// flattens Block Kit to visible text. Calls, Acks and Failures record what
// the app did. FailNext, RateLimitNext and DelayNext inject faults. Waits
// take a context; the Must variants take a TB and fail it.
//
// Not modelled: rate limits other than injected ones, threads beyond
// thread_ts, files, DMs, user tokens, Enterprise Grid.
package fakeslack
