/**
 * Calls, their responder legs and voicemails. Each call writes its row as it goes, so a crash
 * mid-call still leaves what happened up to that point.
 */
import type { Db } from './database';
import { CallSearch } from './callSearch';
import { ShapedUpdate } from './shapedUpdate';
import { turnTransactionOf, WriteQueue } from './writeQueue';
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

export class CallStore {
  private readonly observers: CallObserver[] = [];
  private readonly insertCallStatement;
  private readonly updateCallStatement;
  private readonly getCallStatement;
  private readonly listCallsStatement;
  private readonly insertLegStatement;
  private readonly updateLegStatement;
  private readonly legsOfCallStatement;
  private readonly insertVoicemailStatement;
  private readonly updateVoicemailStatement;
  private readonly voicemailsOfCallStatement;
  private readonly getVoicemailStatement;
  private readonly unfinishedCallsStatement;
  private readonly callOfChannelStatement;
  private readonly owedStatement;
  private readonly retriedStatement;
  private readonly nextCopyRetryStatement;
  private readonly directCallsSinceStatement;

  /**
   * The call log's writes: a call never waits for them, so while another process locks the
   * database they wait in order on timers (WriteQueue) and the call goes on (issue 17).
   */
  readonly writes: WriteQueue;
  /** The log as the console filters it, and the calls in progress. */
  readonly search: CallSearch;

  constructor(
    db: Db,
    onQueuedWriteError: (error: Error) => void = (error) => process.emitWarning(error),
    onRecovered: () => void = () => undefined,
  ) {
    this.writes = new WriteQueue(onQueuedWriteError, onRecovered, turnTransactionOf(db));
    this.search = new CallSearch(db, () => this.writes.flushTurn());
    this.insertCallStatement = db.prepare(
      `INSERT INTO calls (id, channel_id, caller_number, caller_name, dialed_number, started_at)
       VALUES (@id, @channel_id, @caller_number, @caller_name, @dialed_number, @started_at)`,
    );
    this.updateCallStatement = new ShapedUpdate(db, 'calls', CALL_UPDATABLE);
    this.getCallStatement = db.prepare('SELECT * FROM calls WHERE id = ?');
    this.directCallsSinceStatement = db
      .prepare(
        `SELECT COUNT(*) FROM calls
         WHERE caller_number = ? AND started_at >= ? AND id != ? AND routing = 'direct' AND screened IS NULL`,
      )
      .pluck();
    this.callOfChannelStatement = db.prepare(
      'SELECT * FROM calls WHERE channel_id = ? ORDER BY started_at DESC LIMIT 1',
    );
    this.listCallsStatement = db.prepare('SELECT * FROM calls ORDER BY started_at DESC, id LIMIT ?');
    this.unfinishedCallsStatement = db.prepare(
      'SELECT * FROM calls WHERE ended_at IS NULL ORDER BY started_at',
    );
    this.insertLegStatement = db.prepare(
      `INSERT INTO call_legs (id, call_id, responder_id, phone, level, round, channel_id, result, reason, started_at, ended_at)
       VALUES (@id, @call_id, @responder_id, @phone, @level, @round, @channel_id, @result, @reason, @started_at, @ended_at)`,
    );
    this.updateLegStatement = new ShapedUpdate(db, 'call_legs', LEG_UPDATABLE);
    this.legsOfCallStatement = db.prepare(
      'SELECT * FROM call_legs WHERE call_id = ? ORDER BY started_at, rowid',
    );
    this.insertVoicemailStatement = db.prepare(
      `INSERT INTO voicemails (id, call_id, route_id, team_id, recording_name, file_path, format, duration_seconds,
         size_bytes, too_short, ended_by, fetch_error, created_at)
       VALUES (@id, @call_id, @route_id, @team_id, @recording_name, @file_path, @format, @duration_seconds,
         @size_bytes, @too_short, @ended_by, @fetch_error, @created_at)`,
    );
    // A copy that failed during the call is owed at once (the engine retries it); one that worked is owed no more.
    this.updateVoicemailStatement = db.prepare(
      `UPDATE voicemails SET file_path = @file_path, size_bytes = @size_bytes, fetch_error = @fetch_error,
         copy_retry_at = CASE WHEN @file_path IS NULL AND @fetch_error IS NOT NULL THEN COALESCE(copy_retry_at, 0) ELSE NULL END
       WHERE id = @id`,
    );
    this.retriedStatement = db.prepare(
      `UPDATE voicemails SET file_path = @file_path, size_bytes = @size_bytes, fetch_error = @fetch_error,
         copy_attempts = copy_attempts + 1, copy_retry_at = @retry_at WHERE id = @id AND file_path IS NULL`,
    );
    this.nextCopyRetryStatement = db
      .prepare('SELECT MIN(copy_retry_at) FROM voicemails WHERE copy_retry_at IS NOT NULL')
      .pluck();
    this.voicemailsOfCallStatement = db.prepare(
      'SELECT * FROM voicemails WHERE call_id = ? ORDER BY created_at',
    );
    this.getVoicemailStatement = db.prepare('SELECT * FROM voicemails WHERE id = ?');
    this.owedStatement = db.prepare(
      `SELECT * FROM voicemails WHERE copy_retry_at IS NOT NULL AND copy_retry_at <= ?
       ORDER BY copy_retry_at, created_at LIMIT ?`,
    );
  }

  insertCall(
    call: Pick<
      CallRow,
      'id' | 'channel_id' | 'caller_number' | 'caller_name' | 'dialed_number' | 'started_at'
    >,
  ): void {
    this.writes.runNow(() => this.insertCallStatement.run(call));
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
    const write = (again: boolean): unknown => {
      const result = this.updateCallStatement.run(id, update);
      // Observers see the row as written, so they run once the write has landed (and only once).
      if (
        again ||
        this.observers.length === 0 ||
        (isAbsent(update.ended_at) && isAbsent(update.connected_at))
      )
        return result;
      const call = this.getCall(id);
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
  directCallsSince(callerNumber: string, since: number, callId: string): number {
    this.writes.flushTurn();
    return this.directCallsSinceStatement.get(callerNumber, since, callId) as number;
  }

  getCall(id: string): CallRow | undefined {
    this.writes.flushTurn();
    return this.getCallStatement.get(id) as CallRow | undefined;
  }

  /** The call whose caller is on `channelId` (the most recent, should Asterisk reuse ids). */
  callOfChannel(channelId: string): CallRow | undefined {
    this.writes.flushTurn();
    return this.callOfChannelStatement.get(channelId) as CallRow | undefined;
  }

  listCalls(limit: number): CallRow[] {
    this.writes.flushTurn();
    return this.listCallsStatement.all(limit) as CallRow[];
  }

  unfinishedCalls(): CallRow[] {
    this.writes.flushTurn();
    return this.unfinishedCallsStatement.all() as CallRow[];
  }

  insertLeg(leg: Omit<LegRow, 'hangup_cause' | 'dial_status' | 'answered_at'>): void {
    this.writes.runNow(() => this.insertLegStatement.run(leg));
  }

  updateLeg(id: string, update: LegUpdate): void {
    this.writes.run((again) => {
      const written = this.updateLegStatement.run(id, update);
      const result = update.result;
      if (!again && result !== undefined && result !== 'ringing' && result !== 'answered')
        for (const observer of this.observers) observer.legFinished?.(result);
      return written;
    });
  }

  legsOfCall(callId: string): LegRow[] {
    this.writes.flushTurn();
    return this.legsOfCallStatement.all(callId) as LegRow[];
  }

  insertVoicemail(voicemail: Omit<VoicemailRow, 'copy_attempts' | 'copy_retry_at'>): void {
    this.writes.runNow(() => this.insertVoicemailStatement.run(voicemail));
  }

  updateVoicemailFile(
    id: string,
    filePath: string | null,
    sizeBytes: number | null,
    fetchError: string | null,
  ): void {
    this.writes.run(() =>
      this.updateVoicemailStatement.run({
        id,
        file_path: filePath,
        size_bytes: sizeBytes,
        fetch_error: fetchError,
      }),
    );
  }

  voicemailsOfCall(callId: string): VoicemailRow[] {
    this.writes.flushTurn();
    return this.voicemailsOfCallStatement.all(callId) as VoicemailRow[];
  }

  /** Messages whose copy from Asterisk failed and whose next try is due at `now`, most overdue first. */
  voicemailsOwed(now: number, limit: number): VoicemailRow[] {
    this.writes.flushTurn();
    return this.owedStatement.all(now, limit) as VoicemailRow[];
  }

  /** When the next copy retry is due, or undefined when no copy is owed. */
  nextCopyRetry(): number | undefined {
    this.writes.flushTurn();
    return (this.nextCopyRetryStatement.get() as number | null) ?? undefined;
  }

  /**
   * Records a retried copy: the file, or the error and when to try again (null: never, the
   * recording is gone). A message already copied meanwhile keeps its file.
   */
  recordCopyRetry(
    id: string,
    result: { file: string; size: number } | { error: string; retryAt: number | null },
  ): void {
    this.writes.flushTurn();
    this.retriedStatement.run(
      'error' in result
        ? { id, file_path: null, size_bytes: null, fetch_error: result.error, retry_at: result.retryAt }
        : { id, file_path: result.file, size_bytes: result.size, fetch_error: null, retry_at: null },
    );
  }

  getVoicemail(id: string): VoicemailRow | undefined {
    this.writes.flushTurn();
    return this.getVoicemailStatement.get(id) as VoicemailRow | undefined;
  }
}
