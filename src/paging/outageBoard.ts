/**
 * What callers are told during an outage, kept in memory so that no caller waits on the database
 * for it: per team, whether a page is open and since when, and the status messages playing now.
 * Refreshed from the store every few seconds (another daemon, the CLI or the API may have changed
 * it) and at once after a change this daemon made. A store out of reach keeps the last picture.
 */
import type { Logger } from '../log/logger';
import type { PageStore } from '../store/pages';
import type { StatusMessageRow, StatusStore } from '../store/statusMessages';

export interface KnownProblem {
  /** When the oldest open page of the team was opened. */
  since: number;
  lastCallerAt: number;
  /** Someone works on it (a page of the team is acknowledged). */
  acknowledged: boolean;
}

export interface OutageBoardDependencies {
  pages: PageStore;
  statuses: StatusStore;
  logger: Logger;
  now: () => number;
  /** The longest dedupe window of any route: pages older than that are nobody's problem now. */
  windowSeconds: () => number;
  refreshMs?: number;
  /** Told of every status message that appears, so its audio can be made before a caller needs it. */
  onNewStatus?: (status: StatusMessageRow) => void;
}

export class OutageBoard {
  private problems = new Map<string, KnownProblem>();
  private statuses: StatusMessageRow[] = [];
  private readonly seen = new Set<number>();
  private timer: NodeJS.Timeout | undefined;
  private refreshing: Promise<void> | undefined;
  private again = false;

  constructor(private readonly deps: OutageBoardDependencies) {}

  async start(): Promise<void> {
    await this.refresh();
    const every = this.deps.refreshMs ?? 2000;
    this.timer = setInterval(() => void this.refresh(), every);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Reads the store again (once at a time; a request meanwhile runs one more read after it). */
  refresh(): Promise<void> {
    if (this.refreshing !== undefined) {
      this.again = true;
      return this.refreshing;
    }
    this.refreshing = this.read()
      .catch((error: Error) =>
        this.deps.logger.warn('could not read open pages and status messages; callers hear the last known', {
          error: error.message,
        }),
      )
      .finally(() => {
        this.refreshing = undefined;
        if (this.again) {
          this.again = false;
          void this.refresh();
        }
      });
    return this.refreshing;
  }

  /** The team's open problem within `windowSeconds` of its latest caller, if any. */
  problemFor(teamId: string, windowSeconds: number): KnownProblem | undefined {
    const problem = this.problems.get(teamId);
    if (problem === undefined || problem.lastCallerAt < this.deps.now() - windowSeconds * 1000)
      return undefined;
    return problem;
  }

  /** The live message of a route (its greeting's), or of a team. */
  statusFor(target: { routeId: string } | { teamId: string }): StatusMessageRow | undefined {
    const now = this.deps.now();
    for (let i = this.statuses.length - 1; i >= 0; i--) {
      const status = this.statuses[i]!;
      const matches =
        'routeId' in target ? status.route_id === target.routeId : status.team_id === target.teamId;
      if (matches && status.expires_at > now) return status;
    }
    return undefined;
  }

  private async read(): Promise<void> {
    const now = this.deps.now();
    const [problems, statuses] = await Promise.all([
      this.deps.pages.openProblems(now - this.deps.windowSeconds() * 1000),
      this.deps.statuses.live(now),
    ]);
    this.problems = new Map(
      problems.map((p) => [
        p.team_id,
        {
          since: Number(p.since),
          lastCallerAt: Number(p.last_caller_at),
          acknowledged: Number(p.acknowledged) === 1,
        },
      ]),
    );
    this.statuses = statuses;
    for (const status of statuses)
      if (!this.seen.has(status.id)) {
        this.seen.add(status.id);
        this.deps.onNewStatus?.(status);
      }
  }
}
