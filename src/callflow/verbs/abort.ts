/**
 * The one way a verb is stopped early: an AbortSignal. A verb that is asked to stop ends what it
 * started on Asterisk and settles once Asterisk has done so, so that whoever stopped it can make the
 * next request on the channel (Asterisk runs a channel's requests one at a time, in order).
 */

export interface AbortWait {
  /** Resolves when the signal aborts; never, without a signal. */
  aborted: Promise<void>;
  /** Stops listening (the signal may outlive the verb by far: a whole call). */
  off(): void;
}

/**
 * `now` runs inside the abort itself, before any promise callback: a verb issues its stop request
 * there, so that a request its stopper makes right after the abort (a bridge join) goes out after it.
 */
export function whenAborted(signal: AbortSignal | undefined, now?: () => void): AbortWait {
  if (signal === undefined) return { aborted: new Promise<void>(() => undefined), off: () => undefined };
  if (signal.aborted) {
    now?.();
    return { aborted: Promise.resolve(), off: () => undefined };
  }
  let listener: (() => void) | undefined;
  const aborted = new Promise<void>((resolve) => {
    listener = () => {
      now?.();
      resolve();
    };
    signal.addEventListener('abort', listener, { once: true });
  });
  return { aborted, off: () => signal.removeEventListener('abort', listener!) };
}

/** Resolves after `ms`, or as soon as the signal aborts; true when the time ran out. */
export async function sleep(ms: number, signal: AbortSignal | undefined): Promise<boolean> {
  const stop = whenAborted(signal);
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(true), ms);
      }),
      stop.aborted.then(() => false),
    ]);
  } finally {
    clearTimeout(timer);
    stop.off();
  }
}
