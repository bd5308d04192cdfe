/**
 * Whether the other daemons of this Asterisk (asterisk.peers) are registered: Asterisk lists an
 * application while a WebSocket holds it, and also (deactivated) while a daemon that died still
 * holds channels or bridges there, until those end; Stasis() to it fails meanwhile, so the
 * failover still works, but "registered" is then not "connected". ARI says nothing finer. Asked
 * in the background while ARI is connected, so that /healthz and /metrics answer from memory: an
 * operator sees at once that a failover dialplan has nobody behind its next Stasis().
 */
import { AriRequestError, type AriPort } from './types';

export interface PeerState {
  /** undefined: not known yet, or Asterisk could not be asked. */
  registered: boolean | undefined;
  checkedAt: number | undefined;
}

export class PeerWatch {
  private readonly states = new Map<string, PeerState>();
  private timer: NodeJS.Timeout | undefined;
  private checking: Promise<void> | undefined;

  constructor(
    private readonly port: Pick<AriPort, 'getApplication'>,
    peers: readonly string[],
    private readonly connected: () => boolean,
    private readonly intervalMs = 15_000,
    private readonly now: () => number = Date.now,
  ) {
    for (const peer of peers) this.states.set(peer, { registered: undefined, checkedAt: undefined });
  }

  start(): void {
    if (this.states.size === 0 || this.timer !== undefined) return;
    this.timer = setInterval(() => void this.check(), this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Asks Asterisk now (on every connection, and on the timer); one round at a time. */
  check(): Promise<void> {
    if (!this.connected() || this.states.size === 0) return Promise.resolve();
    this.checking ??= this.round().finally(() => (this.checking = undefined));
    return this.checking;
  }

  private async round(): Promise<void> {
    for (const peer of this.states.keys()) {
      let registered: boolean | undefined;
      try {
        await this.port.getApplication(peer);
        registered = true;
      } catch (error) {
        registered = error instanceof AriRequestError && error.status === 404 ? false : undefined;
      }
      this.states.set(peer, { registered, checkedAt: this.now() });
    }
  }

  get snapshot(): ReadonlyMap<string, PeerState> {
    return this.states;
  }
}
