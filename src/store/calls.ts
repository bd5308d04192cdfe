/**
 * Calls, their responder legs and voicemails. Each call writes its row as it goes, so a crash
 * mid-call still leaves what happened up to that point.
 */
import { CallSearch } from './callSearch';
import { ShapedUpdate } from './shapedUpdate';
import type { SqlDatabase, SqlSession } from './sql/driver';
import { WriteQueue } from './writeQueue';
import type { CallOutcome, LegResult, Urgency } from '../domain/enums';

export type { CallOutcome, LegResult } from '../domain/enums';

/** What copying a voicemail from Asterisk gave: the file under the voicemail folder, or why not. */
export type CopyResult = { file: string; size: number } | { error: string };

export interface CallRow {
  id: string;
  channel_id: string;
  caller_number: string;
  caller_name: string;
  dialed_number: string;
  route_id: string | null;
  routing: string | null;
  option_key: string | null;
  team_id: string | null;
  outcome: CallOutcome | null;
  outcome_detail: string | null;
  connected_responder_id: string | null;
  hangup_cause: number | null;
  started_at: number;
  answered_at: number | null;
  connected_at: number | null;
  ended_at: number | null;
  /** Where the flow stands (CallStage), and the escalation step when ringing; null once ended or before migration 4. */
  stage: CallStage | null;
  stage_level: number | null;
  stage_round: number | null;
  /** When the stage began (a recording's start, for its length should its end be lost). */
  stage_at: number | null;
  /** 1 when the call came outside its route's support hours (migration 5). */
  outside_hours: number | null;
  /** The urgency of the pages the call made, once its option was chosen. */
  urgency: Urgency | null;
  /** What caller screening decided (blocked, rate-limited, ...); null when the call got through (migration 6). */
  screened: string | null;
  /** The Stasis application the call came in on (migration 9; null before). */
  app: string | null;
  /** The Asterisk the call came in on, by its name (migration 10; null before: the first one). */
  asterisk: string | null;
}

/**
 * The points of an inbound call's flow that a reconciliation can take a caller back to:
 * `message` is the instructions before the beep, `recording` the message itself, `ending` the
 * last words once the outcome is written (a caller taken back there is only hung up).
 */
export const CALL_STAGES = [
  'greeting',
  'menu',
  'ringing',
  'message',
  'recording',
  'connected',
  'ending',
] as const;
export type CallStage = (typeof CALL_STAGES)[number];

export interface LegRow {
  id: string;
  call_id: string;
  responder_id: string;
  phone: string | null;
  level: number;
  round: number;
  channel_id: string | null;
  result: LegResult;
  reason: string | null;
  hangup_cause: number | null;
  dial_status: string | null;
  started_at: number;
  answered_at: number | null;
  ended_at: number | null;
  /** Its place among the call's legs, from 0 (migration 9; null before). */
  position?: number | null;
}

export interface VoicemailRow {
  id: string;
  call_id: string;
  route_id: string;
  team_id: string;
  recording_name: string;
  file_path: string | null;
  format: string;
  duration_seconds: number | null;
  size_bytes: number | null;
  too_short: number;
  ended_by: string | null;
  fetch_error: string | null;
  created_at: number;
  /** Copies tried again after the call (by the engine), and when the next is due (null: none owed). */
  copy_attempts: number;
  copy_retry_at: number | null;
}

/** A message whose copy is owed, with the Asterisk that recorded it (null: the first one). */
export type OwedVoicemail = VoicemailRow & { asterisk: string | null };

type CallUpdate = Partial<Omit<CallRow, 'id' | 'channel_id' | 'started_at'>>;
type LegUpdate = Partial<
  Pick<
    LegRow,
    'channel_id' | 'result' | 'reason' | 'hangup_cause' | 'dial_status' | 'answered_at' | 'ended_at'
  >
>;

const CALL_UPDATABLE: ReadonlyArray<keyof CallUpdate> = [
  'caller_number',
  'caller_name',
  'dialed_number',
  'route_id',
  'routing',
  'option_key',
  'team_id',
  'outcome',
  'outcome_detail',
  'connected_responder_id',
  'hangup_cause',
  'answered_at',
  'connected_at',
  'ended_at',
  'stage',
  'stage_level',
  'stage_round',
  'stage_at',
  'outside_hours',
  'urgency',
  'screened',
];
const LEG_UPDATABLE: ReadonlyArray<keyof LegUpdate> = [
  'channel_id',
  'result',
  'reason',
  'hangup_cause',
  'dial_status',
  'answered_at',
  'ended_at',
];

const isAbsent = (value: unknown): boolean => value === undefined || value === null;

/** Told of changes as they are written (the metrics count calls and legs from these). */
export interface CallObserver {
  callEnded?(call: CallRow): void;
  callConnected?(call: CallRow): void;
  legFinished?(result: LegResult): void;
}

const INSERT_CALL = `INSERT INTO calls (id, channel_id, caller_number, caller_name, dialed_number, started_at, app, asterisk)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?)`;
const INSERT_LEG = `INSERT INTO call_legs (id, call_id, responder_id, phone, level, round, channel_id, result, reason, started_at, ended_at, position)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, (SELECT COUNT(*) FROM call_legs WHERE call_id = ?))`;
const INSERT_VOICEMAIL = `INSERT INTO voicemails (id, call_id, route_id, team_id, recording_name, file_path, format, duration_seconds,
    size_bytes, too_short, ended_by, fetch_error, created_at)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`;
// A copy that failed during the call is owed at once (the engine retries it); one that worked is owed no more.
const UPDATE_VOICEMAIL_FILE = `UPDATE voicemails SET file_path = ?, size_bytes = ?, fetch_error = ?,
    copy_retry_at = CASE WHEN CAST(? AS TEXT) IS NULL AND CAST(? AS TEXT) IS NOT NULL THEN COALESCE(copy_retry_at, 0) ELSE NULL END
  WHERE id = ?`;
const RECORD_COPY_RETRY = `UPDATE voicemails SET file_path = ?, size_bytes = ?, fetch_error = ?,
    copy_attempts = copy_attempts + 1, copy_retry_at = ? WHERE id = ? AND file_path IS NULL`;

export class CallStore {
  private readonly observers: CallObserver[] = [];
  private readonly updateCallStatement = new ShapedUpdate('calls', CALL_UPDATABLE);
  private readonly updateLegStatement = new ShapedUpdate('call_legs', LEG_UPDATABLE);

  /**
   * The call log's writes: a call never waits for them, so while the database refuses writes
   * they wait in order on timers (WriteQueue) and the call goes on (issue 17).
   */
  readonly writes: WriteQueue;
  /** The log as the console filters it, and the calls in progress. */
  readonly search: CallSearch;

  constructor(
    private readonly sql: SqlDatabase,
    onQueuedWriteError: (error: Error) => void = (error) => process.emitWarning(error),
    onRecovered: () => void = () => undefined,
  ) {
    this.writes = new WriteQueue(sql, onQueuedWriteError, onRecovered);
    this.search = new CallSearch(sql, () => this.writes.settled());
  }

  insertCall(
    call: Pick<
      CallRow,
      'id' | 'channel_id' | 'caller_number' | 'caller_name' | 'dialed_number' | 'started_at'
    > & { app?: string | null; asterisk?: string | null },
  ): void {
    this.writes.runNow((tx) =>
      tx.run(INSERT_CALL, [
        call.id,
        call.channel_id,
        call.caller_number,
        call.caller_name,
        call.dialed_number,
        call.started_at,
        call.app ?? null,
        call.asterisk ?? null,
      ]),
    );
  }

  observe(observer: CallObserver): void {
    this.observers.push(observer);
  }

  /**
   * `now`: written at once rather than at the end of the turn, for what a restart must find
   * (where the flow stands, reconcile/): the request it describes may be the last thing a
   * process does before it is killed.
   */
  updateCall(id: string, update: CallUpdate, options: { now?: boolean } = {}): void {
    const write = async (tx: SqlSession, again: boolean): Promise<unknown> => {
      const result = await this.updateCallStatement.run(tx, id, update);
      // Observers see the row as written, so they run once the write has landed (and only once).
      if (
        again ||
        this.observers.length === 0 ||
        (isAbsent(update.ended_at) && isAbsent(update.connected_at))
      )
        return result;
      const call = await tx.get<CallRow>('SELECT * FROM calls WHERE id = ?', [id]);
      if (call === undefined) return result;
      for (const observer of this.observers) {
        if (!isAbsent(update.connected_at)) observer.callConnected?.(call);
        if (!isAbsent(update.ended_at)) observer.callEnded?.(call);
      }
      return result;
    };
    if (options.now === true) this.writes.runNow(write);
    else this.writes.run(write);
  }

  /**
   * How many calls from `callerNumber` since `since` reached direct routing, `callId` aside: what
   * screening's rate limit counts, from the database so that a restart does not reset it.
   */
  async directCallsSince(callerNumber: string, since: number, callId: string): Promise<number> {
    await this.writes.settled();
    const row = await this.sql.get<{ n: number }>(
      `SELECT COUNT(*) AS n FROM calls
       WHERE caller_number = ? AND started_at >= ? AND id != ? AND routing = 'direct' AND screened IS NULL`,
      [callerNumber, since, callId],
    );
    return row?.n ?? 0;
  }

  async getCall(id: string): Promise<CallRow | undefined> {
    await this.writes.settled();
    return this.sql.get<CallRow>('SELECT * FROM calls WHERE id = ?', [id]);
  }

  /** The call whose caller is on `channelId` (the most recent, should Asterisk reuse ids). */
  async callOfChannel(channelId: string): Promise<CallRow | undefined> {
    await this.writes.settled();
    return this.sql.get<CallRow>(
      'SELECT * FROM calls WHERE channel_id = ? ORDER BY started_at DESC LIMIT 1',
      [channelId],
    );
  }

  async listCalls(limit: number): Promise<CallRow[]> {
    await this.writes.settled();
    return this.sql.all<CallRow>('SELECT * FROM calls ORDER BY started_at DESC, id LIMIT ?', [limit]);
  }

  /**
   * The open calls of Stasis application `app` (and those from before calls named theirs), on
   * every Asterisk or on `on` alone: its name, and whether it is the first one, whose are the
   * calls from before calls named their Asterisk.
   */
  async unfinishedCalls(app: string, on?: { asterisk: string; first: boolean }): Promise<CallRow[]> {
    await this.writes.settled();
    if (on === undefined)
      return this.sql.all<CallRow>(
        'SELECT * FROM calls WHERE ended_at IS NULL AND (app = ? OR app IS NULL) ORDER BY started_at',
        [app],
      );
    return this.sql.all<CallRow>(
      `SELECT * FROM calls WHERE ended_at IS NULL AND (app = ? OR app IS NULL)
         AND (asterisk = ? OR (asterisk IS NULL AND ? = 1)) ORDER BY started_at`,
      [app, on.asterisk, on.first ? 1 : 0],
    );
  }

  insertLeg(leg: Omit<LegRow, 'hangup_cause' | 'dial_status' | 'answered_at'>): void {
    this.writes.runNow((tx) =>
      tx.run(INSERT_LEG, [
        leg.id,
        leg.call_id,
        leg.responder_id,
        leg.phone,
        leg.level,
        leg.round,
        leg.channel_id,
        leg.result,
        leg.reason,
        leg.started_at,
        leg.ended_at,
        leg.call_id,
      ]),
    );
  }

  /** `now`: written at once, for what a restart must find (the leg that won the call). */
  updateLeg(id: string, update: LegUpdate, options: { now?: boolean } = {}): void {
    const write = async (tx: SqlSession, again: boolean): Promise<unknown> => {
      const written = await this.updateLegStatement.run(tx, id, update);
      const result = update.result;
      if (!again && result !== undefined && result !== 'ringing' && result !== 'answered')
        for (const observer of this.observers) observer.legFinished?.(result);
      return written;
    };
    if (options.now === true) this.writes.runNow(write);
    else this.writes.run(write);
  }

  async legsOfCall(callId: string): Promise<LegRow[]> {
    await this.writes.settled();
    // Legs started in the same millisecond keep the order they were written in (position; rowid
    // for SQLite rows from before migration 9).
    const tieBreak = this.sql.dialect === 'sqlite' ? 'position, rowid' : 'position';
    return this.sql.all<LegRow>(
      `SELECT * FROM call_legs WHERE call_id = ? ORDER BY started_at, ${tieBreak}`,
      [callId],
    );
  }

  insertVoicemail(voicemail: Omit<VoicemailRow, 'copy_attempts' | 'copy_retry_at'>): void {
    this.writes.runNow((tx) =>
      tx.run(INSERT_VOICEMAIL, [
        voicemail.id,
        voicemail.call_id,
        voicemail.route_id,
        voicemail.team_id,
        voicemail.recording_name,
        voicemail.file_path,
        voicemail.format,
        voicemail.duration_seconds,
        voicemail.size_bytes,
        voicemail.too_short,
        voicemail.ended_by,
        voicemail.fetch_error,
        voicemail.created_at,
      ]),
    );
  }

  updateVoicemailFile(
    id: string,
    filePath: string | null,
    sizeBytes: number | null,
    fetchError: string | null,
  ): void {
    this.writes.run((tx) =>
      tx.run(UPDATE_VOICEMAIL_FILE, [filePath, sizeBytes, fetchError, filePath, fetchError, id]),
    );
  }

  async voicemailsOfCall(callId: string): Promise<VoicemailRow[]> {
    await this.writes.settled();
    return this.sql.all<VoicemailRow>('SELECT * FROM voicemails WHERE call_id = ? ORDER BY created_at', [
      callId,
    ]);
  }

  /** Messages whose copy from Asterisk failed and whose next try is due at `now`, most overdue first. */
  async voicemailsOwed(now: number, limit: number): Promise<OwedVoicemail[]> {
    await this.writes.settled();
    return this.sql.all<OwedVoicemail>(
      `SELECT v.*, c.asterisk AS asterisk FROM voicemails v JOIN calls c ON c.id = v.call_id
       WHERE v.copy_retry_at IS NOT NULL AND v.copy_retry_at <= ?
       ORDER BY v.copy_retry_at, v.created_at LIMIT ?`,
      [now, limit],
    );
  }

  /** When the next copy retry is due, or undefined when no copy is owed. */
  async nextCopyRetry(): Promise<number | undefined> {
    await this.writes.settled();
    const row = await this.sql.get<{ due: number | null }>(
      'SELECT MIN(copy_retry_at) AS due FROM voicemails WHERE copy_retry_at IS NOT NULL',
    );
    return row?.due ?? undefined;
  }

  /**
   * Records a retried copy, in `on` (the engine's transaction): the file, or the error and when
   * to try again (null: never, the recording is gone). A message already copied meanwhile keeps
   * its file.
   */
  async recordCopyRetry(
    id: string,
    result: { file: string; size: number } | { error: string; retryAt: number | null },
    on: SqlSession = this.sql,
  ): Promise<void> {
    // No wait for the queue here: `on` may be a transaction the queue itself would wait for.
    await on.run(
      RECORD_COPY_RETRY,
      'error' in result
        ? [null, null, result.error, result.retryAt, id]
        : [result.file, result.size, null, null, id],
    );
  }

  async getVoicemail(id: string): Promise<VoicemailRow | undefined> {
    await this.writes.settled();
    return this.sql.get<VoicemailRow>('SELECT * FROM voicemails WHERE id = ?', [id]);
  }
}
