/**
 * Who is signed in to the console. A session is a signed cookie (HMAC with the daemon's link
 * secret, kept in the database), so it survives a restart and is valid on every daemon that
 * shares the database; nothing is held in memory but the sign-in rate limit. Every form carries
 * a CSRF token derived from the cookie it was served with (the sign-in form from a cookie of its
 * own), so a page from another site can neither post as the person nor sign them in as another.
 */
import { createHmac, randomBytes } from 'node:crypto';
import type { Config } from '../../config/model';
import { resolveSecret } from '../../config/secrets';
import { sameSecret } from '../auth';

export const SESSION_COOKIE = 'lcr_session';
export const SIGN_IN_COOKIE = 'lcr_sign_in';
/**
 * What the API token signs in as: an operator, not one of the responders. The colon keeps it
 * apart from every responder id (ids are letters, digits, "-" and "_").
 */
export const OPERATOR = ':operator';

export interface Viewer {
  /** A responder id, or OPERATOR. */
  id: string;
  name: string;
  /** The viewer's own time zone (from the browser at sign-in), for every time shown. */
  zone: string;
  expiresAt: number;
}

const base64url = (data: Buffer | string): string => Buffer.from(data).toString('base64url');

function mac(secret: Buffer, purpose: string, value: string): string {
  return createHmac('sha256', secret).update(`${purpose}\n${value}`).digest('base64url');
}

/**
 * Who may sign in, and with what: a responder's console password, or the API token for the
 * operator; undefined when they cannot sign in (no password, no token, unreadable secret).
 */
export function credentialOf(config: Config, id: string, apiToken: string | undefined): string | undefined {
  if (id === OPERATOR) return apiToken;
  const responder = config.responders.get(id);
  if (responder === undefined) return undefined;
  try {
    return (
      resolveSecret(responder.consolePassword, config.source, `responders.${id}.console_password`) ||
      undefined
    );
  } catch {
    return undefined;
  }
}

/** A session names the credential it was opened with: changing the password or token ends it. */
function fingerprint(secret: Buffer, credential: string): string {
  return mac(secret, 'console-credential', credential).slice(0, 22);
}

export function sessionCookieValue(secret: Buffer, viewer: Omit<Viewer, 'name'>, credential: string): string {
  const payload = base64url(
    JSON.stringify({
      id: viewer.id,
      zone: viewer.zone,
      exp: viewer.expiresAt,
      fp: fingerprint(secret, credential),
    }),
  );
  return `${payload}.${mac(secret, 'console-session', payload)}`;
}

/**
 * The viewer a cookie names, when its signature holds, it has not expired, and its credential is
 * still the one configured (a responder removed, a password changed or the token taken away
 * ends the session).
 */
export function viewerOf(
  secret: Buffer,
  config: Config,
  cookie: string | undefined,
  now: number,
  apiToken: string | undefined,
): Viewer | undefined {
  if (cookie === undefined) return undefined;
  const [payload, signature] = cookie.split('.');
  if (payload === undefined || signature === undefined) return undefined;
  if (!sameSecret(signature, mac(secret, 'console-session', payload))) return undefined;
  let fields: { id?: unknown; zone?: unknown; exp?: unknown; fp?: unknown };
  try {
    fields = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as typeof fields;
  } catch {
    return undefined;
  }
  if (typeof fields.id !== 'string' || typeof fields.zone !== 'string' || typeof fields.exp !== 'number')
    return undefined;
  if (fields.exp <= now || typeof fields.fp !== 'string') return undefined;
  const credential = credentialOf(config, fields.id, apiToken);
  if (credential === undefined || !sameSecret(fields.fp, fingerprint(secret, credential))) return undefined;
  const name = fields.id === OPERATOR ? 'Operator' : config.responders.get(fields.id)!.name;
  return { id: fields.id, name, zone: fields.zone, expiresAt: fields.exp };
}

export function csrfToken(secret: Buffer, cookie: string): string {
  return mac(secret, 'console-csrf', cookie);
}

export function csrfMatches(secret: Buffer, cookie: string | undefined, token: string | undefined): boolean {
  return cookie !== undefined && token !== undefined && sameSecret(token, csrfToken(secret, cookie));
}

export function newSignInCookie(): string {
  return randomBytes(18).toString('base64url');
}

/** Names a sign-in form may carry: a responder id, or nothing for the operator. */
const SIGN_IN_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$|^$/;

/**
 * Checks a sign-in: a responder's console password, or the API token with no responder named.
 * Compared in constant time; an unknown responder costs the same as a wrong password. Returns
 * the viewer's id and the credential the session will name.
 */
export function checkSignIn(
  config: Config,
  who: string,
  password: string,
  apiToken: string | undefined,
): { id: string; credential: string } | undefined {
  if (!SIGN_IN_NAME.test(who)) return undefined;
  const id = who === '' ? OPERATOR : who;
  const expected = credentialOf(config, id, apiToken);
  const matches = sameSecret(password, expected ?? randomBytes(16).toString('hex'));
  return matches && expected !== undefined ? { id, credential: expected } : undefined;
}

/** The rate limit's key for a sign-in: names that are no responder's share one key. */
export function signInKey(config: Config, address: string, who: string): string {
  const name = who === '' || config.responders.has(who) ? who : '?unknown';
  return `${address}|${name}`;
}

/**
 * Failed sign-ins allowed per key (a client address and the name it tries) in a window; beyond
 * them the sign-in answers 429 until the window passes. Per pair, so that nobody can lock a
 * responder out from elsewhere (nor, behind a proxy where every client has one address, lock
 * everyone out). Bounded: the oldest entries go first past `maxEntries`.
 */
export class SignInLimiter {
  private readonly failures = new Map<string, { count: number; since: number }>();

  constructor(
    private readonly allowed = 5,
    private readonly windowMs = 10 * 60_000,
    private readonly maxEntries = 10_000,
  ) {}

  /** Seconds to wait, or 0 when a sign-in may be tried. */
  retryAfter(keys: readonly string[], now: number): number {
    let wait = 0;
    for (const key of keys) {
      const entry = this.failures.get(key);
      if (entry === undefined || now - entry.since >= this.windowMs) continue;
      if (entry.count >= this.allowed)
        wait = Math.max(wait, Math.ceil((entry.since + this.windowMs - now) / 1000));
    }
    return wait;
  }

  failed(keys: readonly string[], now: number): void {
    for (const key of keys) {
      const entry = this.failures.get(key);
      if (entry === undefined || now - entry.since >= this.windowMs) {
        this.failures.delete(key);
        this.failures.set(key, { count: 1, since: now });
      } else entry.count++;
    }
    while (this.failures.size > this.maxEntries) this.failures.delete(this.failures.keys().next().value!);
  }

  succeeded(keys: readonly string[]): void {
    for (const key of keys) this.failures.delete(key);
  }
}

/** The cookies of a request, by name (the first of each name wins). */
export function cookiesOf(header: string | undefined): Map<string, string> {
  const cookies = new Map<string, string>();
  for (const part of (header ?? '').split(';')) {
    const at = part.indexOf('=');
    if (at <= 0) continue;
    const name = part.slice(0, at).trim();
    if (!cookies.has(name)) cookies.set(name, part.slice(at + 1).trim());
  }
  return cookies;
}

export function setCookie(
  name: string,
  value: string,
  options: { maxAgeSeconds: number; secure: boolean },
): string {
  return [
    `${name}=${value}`,
    'Path=/console',
    `Max-Age=${options.maxAgeSeconds}`,
    'HttpOnly',
    'SameSite=Strict',
    ...(options.secure ? ['Secure'] : []),
  ].join('; ');
}
