/**
 * Versioned schema migrations, applied in order at start-up; `PRAGMA user_version` records the
 * last one applied. Never edit a migration that has shipped: add the next one.
 * Times are epoch milliseconds (INTEGER) so that due-time comparisons are plain integer ones.
 */
export const MIGRATIONS: readonly string[] = [
  // 1: calls, responder legs, voicemails, pages and their timeline.
  `
  CREATE TABLE calls (
    id TEXT PRIMARY KEY,
    channel_id TEXT NOT NULL,
    caller_number TEXT NOT NULL DEFAULT '',
    caller_name TEXT NOT NULL DEFAULT '',
    dialed_number TEXT NOT NULL DEFAULT '',
    route_id TEXT,
    routing TEXT,
    option_key TEXT,
    team_id TEXT,
    outcome TEXT,
    outcome_detail TEXT,
    connected_responder_id TEXT,
    hangup_cause INTEGER,
    started_at INTEGER NOT NULL,
    answered_at INTEGER,
    connected_at INTEGER,
    ended_at INTEGER
  );
  CREATE INDEX calls_started ON calls(started_at);
  CREATE INDEX calls_channel ON calls(channel_id);

  CREATE TABLE call_legs (
    id TEXT PRIMARY KEY,
    call_id TEXT NOT NULL REFERENCES calls(id),
    responder_id TEXT NOT NULL,
    phone TEXT,
    level INTEGER NOT NULL,
    round INTEGER NOT NULL DEFAULT 0,
    channel_id TEXT,
    result TEXT NOT NULL,
    reason TEXT,
    hangup_cause INTEGER,
    dial_status TEXT,
    started_at INTEGER NOT NULL,
    answered_at INTEGER,
    ended_at INTEGER
  );
  CREATE INDEX call_legs_call ON call_legs(call_id);

  CREATE TABLE voicemails (
    id TEXT PRIMARY KEY,
    call_id TEXT NOT NULL REFERENCES calls(id),
    route_id TEXT NOT NULL,
    team_id TEXT NOT NULL,
    recording_name TEXT NOT NULL,
    file_path TEXT,
    format TEXT NOT NULL,
    duration_seconds REAL,
    size_bytes INTEGER,
    too_short INTEGER NOT NULL DEFAULT 0,
    ended_by TEXT,
    fetch_error TEXT,
    created_at INTEGER NOT NULL
  );
  CREATE INDEX voicemails_call ON voicemails(call_id);

  CREATE TABLE pages (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    team_id TEXT NOT NULL,
    route_id TEXT,
    call_id TEXT REFERENCES calls(id),
    voicemail_id TEXT REFERENCES voicemails(id),
    caller_number TEXT,
    summary TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('triggered', 'acknowledged', 'resolved')),
    escalation_level INTEGER NOT NULL DEFAULT 0,
    escalation_round INTEGER NOT NULL DEFAULT 0,
    next_escalation_at INTEGER,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    acknowledged_at INTEGER,
    acknowledged_by TEXT,
    resolved_at INTEGER,
    resolved_by TEXT
  );
  CREATE INDEX pages_status ON pages(status);
  CREATE INDEX pages_due ON pages(next_escalation_at) WHERE status = 'triggered';

  CREATE TABLE page_assignments (
    page_id INTEGER NOT NULL REFERENCES pages(id),
    responder_id TEXT NOT NULL,
    level INTEGER NOT NULL,
    assigned_at INTEGER NOT NULL,
    PRIMARY KEY (page_id, responder_id)
  );

  CREATE TABLE page_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    page_id INTEGER NOT NULL REFERENCES pages(id),
    at INTEGER NOT NULL,
    type TEXT NOT NULL,
    actor TEXT NOT NULL,
    via TEXT NOT NULL,
    detail TEXT
  );
  CREATE INDEX page_events_page ON page_events(page_id, id);
  `,
  // 2: the notification outbox (every attempt kept), ack-link tokens already used, daemon facts.
  `
  CREATE TABLE meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
  );

  CREATE TABLE notifications (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    page_id INTEGER NOT NULL REFERENCES pages(id),
    event_id INTEGER REFERENCES page_events(id),
    channel TEXT NOT NULL CHECK (channel IN ('phone', 'email', 'webhook')),
    responder_id TEXT,
    webhook_id TEXT,
    level INTEGER,
    status TEXT NOT NULL CHECK (status IN ('pending', 'sending', 'sent', 'failed', 'cancelled')),
    attempts INTEGER NOT NULL DEFAULT 0,
    due_at INTEGER NOT NULL,
    result TEXT,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
  );
  CREATE INDEX notifications_due ON notifications(due_at) WHERE status = 'pending';
  CREATE INDEX notifications_page ON notifications(page_id);

  CREATE TABLE notification_attempts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    notification_id INTEGER NOT NULL REFERENCES notifications(id),
    started_at INTEGER NOT NULL,
    ended_at INTEGER NOT NULL,
    ok INTEGER NOT NULL,
    detail TEXT NOT NULL
  );
  CREATE INDEX notification_attempts_notification ON notification_attempts(notification_id);

  CREATE TABLE used_link_tokens (
    nonce TEXT PRIMARY KEY,
    used_at INTEGER NOT NULL
  );
  `,
  // 3: when a used link token expires (so it can be pruned), and the voicemail copy retry schedule.
  // Tokens used before this migration never recorded their expiry: it is reckoned as 30 days after
  // their use, longer than any sensible ack_link_ttl (24 h by default), so pruning them never makes a
  // still valid link usable twice. Copies already owed are due at once.
  `
  ALTER TABLE used_link_tokens ADD COLUMN expires_at INTEGER;
  UPDATE used_link_tokens SET expires_at = used_at + 2592000000;
  CREATE INDEX used_link_tokens_expiry ON used_link_tokens(expires_at);

  ALTER TABLE voicemails ADD COLUMN copy_attempts INTEGER NOT NULL DEFAULT 0;
  ALTER TABLE voicemails ADD COLUMN copy_retry_at INTEGER;
  UPDATE voicemails SET copy_retry_at = 0 WHERE file_path IS NULL AND fetch_error IS NOT NULL;
  CREATE INDEX voicemails_copy_retry ON voicemails(copy_retry_at) WHERE copy_retry_at IS NOT NULL;
  `,
  // 4: where each call's flow stands (written as it moves on), so that a daemon that starts again,
  // or gets its WebSocket back, can take the caller back at that point (src/callflow/reconcile).
  // Rows written before this migration have no stage: they are treated as "in the greeting".
  `
  ALTER TABLE calls ADD COLUMN stage TEXT;
  ALTER TABLE calls ADD COLUMN stage_level INTEGER;
  ALTER TABLE calls ADD COLUMN stage_round INTEGER;
  ALTER TABLE calls ADD COLUMN stage_at INTEGER;
  `,
  // 5: support hours and urgency. A page's urgency decides how it notifies and when it escalates
  // (low: email and webhooks only, escalating only while its route is open); a call records
  // whether it came outside its route's hours and the urgency its pages got. Older pages are high.
  `
  ALTER TABLE pages ADD COLUMN urgency TEXT NOT NULL DEFAULT 'high' CHECK (urgency IN ('high', 'low'));
  ALTER TABLE calls ADD COLUMN outside_hours INTEGER;
  ALTER TABLE calls ADD COLUMN urgency TEXT;
  `,
  // 6: caller screening. What screening decided for a call (blocked, rate-limited, ...; null when
  // it got through), and an index to count a caller's recent calls for the rate limit, so that a
  // restart does not reset it.
  `
  ALTER TABLE calls ADD COLUMN screened TEXT;
  CREATE INDEX calls_caller ON calls(caller_number, started_at);
  `,
  // 7: the calls in progress, as the console's live view asks for them every second: without
  // these the question scans the whole call log (170 ms on a million calls).
  `
  CREATE INDEX calls_open ON calls(started_at) WHERE ended_at IS NULL;
  CREATE INDEX call_legs_open ON call_legs(call_id) WHERE ended_at IS NULL;
  `,
  // 8: several daemons on one database (PostgreSQL, src/store/sql). The engine's leases, each with
  // a fencing token that the holder checks inside every transaction it changes pages in, so a
  // daemon paused past its lease cannot act after another took over; and the daemons themselves,
  // with the heartbeat by which the others see one die.
  `
  CREATE TABLE leases (
    name TEXT PRIMARY KEY,
    holder TEXT NOT NULL,
    token INTEGER NOT NULL,
    acquired_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
  );
  CREATE TABLE nodes (
    id TEXT PRIMARY KEY,
    app TEXT NOT NULL,
    host TEXT NOT NULL,
    pid INTEGER NOT NULL,
    started_at INTEGER NOT NULL,
    heartbeat_at INTEGER NOT NULL,
    stopped_at INTEGER
  );
  `,
  // 9: which Stasis application (which daemon) a call came in on. Several daemons share one
  // PostgreSQL: each takes back only its own application's open calls after a restart, and a
  // survivor takes over those of a dead daemon's application. Older rows (one daemon, SQLite)
  // have none: they belong to whoever runs on the file. And each leg's place among its call's
  // legs, which orders legs started in the same millisecond on PostgreSQL (SQLite has rowids).
  // And which daemon is sending a notification, so that one whose sender died is sent again.
  `
  ALTER TABLE calls ADD COLUMN app TEXT;
  ALTER TABLE call_legs ADD COLUMN position INTEGER;
  ALTER TABLE notifications ADD COLUMN claimed_by TEXT;
  `,
  // 10: which Asterisk a call came in on (asterisk[].name), for a daemon connected to several:
  // each connection takes back only its own Asterisk's open calls, and a message is copied from
  // the Asterisk that recorded it. Older rows have none: they are the first Asterisk's.
  `
  ALTER TABLE calls ADD COLUMN asterisk TEXT;
  `,
  // 11: outages. A page gathers every caller about one problem (the route's dedupe: same team,
  // or same route and option, while it is open): page_callers lists them, each with its message
  // or callback request, and the page counts them. Status messages that routes and teams play
  // to callers until they expire or are cleared. Older pages had one caller each.
  `
  ALTER TABLE pages ADD COLUMN option_key TEXT;
  ALTER TABLE pages ADD COLUMN caller_count INTEGER NOT NULL DEFAULT 1;
  ALTER TABLE pages ADD COLUMN last_caller_at INTEGER;
  UPDATE pages SET last_caller_at = created_at;
  CREATE INDEX pages_open_team ON pages(team_id, last_caller_at) WHERE status != 'resolved';
  CREATE TABLE page_callers (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    page_id INTEGER NOT NULL REFERENCES pages(id),
    call_id TEXT REFERENCES calls(id),
    voicemail_id TEXT REFERENCES voicemails(id),
    caller_number TEXT,
    duration_seconds INTEGER,
    callback_number TEXT,
    at INTEGER NOT NULL
  );
  CREATE INDEX page_callers_page ON page_callers(page_id, id);
  CREATE TABLE status_messages (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    route_id TEXT,
    team_id TEXT,
    text TEXT NOT NULL,
    set_by TEXT NOT NULL,
    via TEXT NOT NULL,
    set_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    cleared_at INTEGER,
    cleared_by TEXT
  );
  CREATE INDEX status_messages_live ON status_messages(expires_at) WHERE cleared_at IS NULL;
  `,
  // 12: a status message a responder recorded on a page call: it plays as the recording Asterisk
  // stored (recording:<name>) on the Asterisk that holds it, instead of as spoken text.
  `
  ALTER TABLE status_messages ADD COLUMN recording TEXT;
  ALTER TABLE status_messages ADD COLUMN asterisk TEXT;
  `,
];
