/**
 * One-off ARI requests for the command line (`lcr doctor`, `lcr test-call`): fetch with Basic
 * authentication and a timeout, the body parsed as JSON when it is JSON. The daemon itself uses
 * AriHttpPort (keep-alive, typed operations).
 */
export interface AriAnswer {
  status: number;
  body: unknown;
}

export async function ariRequest(
  asterisk: { url: string; username: string },
  password: string,
  method: string,
  path: string,
  options: { query?: Record<string, string>; timeoutMs: number },
): Promise<AriAnswer> {
  const url = new URL(`${asterisk.url}/ari${path}`);
  for (const [name, value] of Object.entries(options.query ?? {})) url.searchParams.set(name, value);
  const response = await fetch(url, {
    method,
    headers: { Authorization: `Basic ${Buffer.from(`${asterisk.username}:${password}`).toString('base64')}` },
    signal: AbortSignal.timeout(options.timeoutMs),
  });
  const text = await response.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON: kept as text
  }
  return { status: response.status, body };
}
