/**
 * Per-channel order for requests that travel on connections which can overtake each other (the
 * keep-alive HTTP agent spreads requests over several sockets, and Asterisk serves each socket on
 * its own thread). A request names the lanes it touches (its channels, its bridge); it starts
 * once every earlier request on any of those lanes has been answered, so Asterisk receives each
 * channel's commands in the order the call flow issued them. Requests with no lane in common
 * still run side by side.
 */
export class OrderedLanes {
  /** The last request issued on each lane: settles when it has been answered, either way. */
  private readonly tails = new Map<string, Promise<void>>();

  run<T>(lanes: readonly string[], send: () => Promise<T>): Promise<T> {
    const before: Promise<void>[] = [];
    for (const lane of lanes) {
      const tail = this.tails.get(lane);
      if (tail !== undefined) before.push(tail);
    }
    const result = before.length === 0 ? send() : Promise.all(before).then(send);
    const settled = result.then(
      () => undefined,
      () => undefined,
    );
    for (const lane of lanes) this.tails.set(lane, settled);
    // A lane forgets its tail once nothing newer was queued on it, so the map stays as small as
    // the number of channels with a request in flight.
    void settled.then(() => {
      for (const lane of lanes) if (this.tails.get(lane) === settled) this.tails.delete(lane);
    });
    return result;
  }

  /** Lanes with a request in flight (for tests and metrics). */
  get busy(): number {
    return this.tails.size;
  }
}
