/**
 * Holds a socket's writes of one turn of the event loop and lets them go together at its end
 * (process.nextTick): several WebSocket messages sent back to back (the accept sequence's three
 * requests, or an event burst) leave in one system call instead of one each. On loopback each
 * write also runs the receiving side's TCP stack, so under load the writes were the largest
 * single cost in the profiles. Nothing waits longer than the end of the current turn.
 */
export interface Corkable {
  cork(): void;
  uncork(): void;
}

/**
 * A ws WebSocket's send with a turn's messages held for one write (`_socket` is the TCP socket
 * ws writes to; a WebSocket without one is written to as before).
 */
export function sendPerTurn(ws: { send(text: string): void }): (text: string) => void {
  const hold = writesPerTurn((ws as { _socket?: Partial<Corkable> })._socket);
  return (text) => {
    hold();
    ws.send(text);
  };
}

/** Call before each write; a socket that cannot be corked is written to as before. */
export function writesPerTurn(socket: Partial<Corkable> | undefined): () => void {
  if (socket === undefined || typeof socket.cork !== 'function' || typeof socket.uncork !== 'function')
    return () => undefined;
  const corkable = socket as Corkable;
  let held = false;
  return () => {
    if (held) return;
    held = true;
    corkable.cork();
    process.nextTick(() => {
      held = false;
      corkable.uncork();
    });
  };
}
