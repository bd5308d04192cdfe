/**
 * One ARI REST request as the port issues it, whatever carries it (plain HTTP, or REST over the
 * event WebSocket). `lanes` names the channels and bridges it acts on: a transport that can
 * reorder requests (several HTTP connections) keeps each lane's requests in order.
 */
export type Query = Record<string, string | number | boolean | undefined>;

export interface RestCall {
  /** For error messages and logs: the port's operation name. */
  operation: string;
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** Below /ari, with a leading slash: `/channels/abc/answer`. */
  path: string;
  query?: Query;
  body?: unknown;
  /** The answer is a file (a stored recording): only plain HTTP carries it. */
  binary?: boolean;
  lanes: readonly string[];
  /**
   * The call the request belongs to (AriPort.forCall): a transport with several connections
   * sends one call's requests on one of them, in order.
   */
  affinity?: string;
}

export interface RestTransport {
  /** Resolves with the parsed JSON answer (or the bytes when `binary`); rejects with AriRequestError. */
  send<T>(call: RestCall): Promise<T>;
}

export function searchOf(query: Query = {}): URLSearchParams {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) if (value !== undefined) search.set(key, String(value));
  return search;
}

/** Asterisk's error bodies are `{"message": ...}` (or `{"error": ...}` for authentication). */
export function errorMessageOf(text: string, status: number): string {
  try {
    const parsed = JSON.parse(text) as { message?: unknown; error?: unknown };
    const message = parsed.message ?? parsed.error;
    if (typeof message === 'string' && message !== '') return message;
  } catch {
    // Not JSON: the text itself.
  }
  return text || `HTTP ${status}`;
}
