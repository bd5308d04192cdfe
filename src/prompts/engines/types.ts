export interface SpeechRequest {
  text: string;
  /** The engine's voice name ("en-us", "de", a Piper model's speaker, ...). */
  voice: string;
  /** The route's language ("en", "de-DE"), for commands that want it. */
  language: string;
}

export interface SpeechEngine {
  /** Shown in logs and `lcr doctor`. */
  readonly name: string;
  /**
   * Part of every cache key: another engine, version or command line gives other audio, so it
   * must never be served from a file another one made.
   */
  readonly identity: string;
  /** A WAV file at whatever rate the engine produces. */
  synthesize(request: SpeechRequest, timeoutMs: number): Promise<Buffer>;
}
