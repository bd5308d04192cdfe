/**
 * Acknowledge links for emails and chat messages: a responder taps one on a phone's mail client
 * and the page is acknowledged, with no password. The token carries the page, the responder and
 * an expiry, signed with HMAC-SHA256 under a secret the daemon keeps in its database; each token
 * works once (its nonce is recorded when used). Pure, given the secret.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export interface AckClaims {
  pageId: number;
  /** Undefined for links posted to a channel (Slack, Teams) rather than mailed to one person. */
  responderId?: string;
  expiresAt: number;
  nonce: string;
}

export type TokenCheck =
  { ok: true; claims: AckClaims } | { ok: false; reason: 'malformed' | 'bad-signature' | 'expired' };

function sign(secret: Buffer, payload: string): Buffer {
  return createHmac('sha256', secret).update(payload).digest();
}

/**
 * Compares the text of the signature, not its decoded bytes: the last base64url character of a
 * 32-byte MAC carries two unused bits, so decoding would accept four spellings of one signature
 * and an altered link would still work.
 */
function signatureMatches(expected: Buffer, given: string): boolean {
  const wanted = Buffer.from(expected.toString('base64url'));
  const offered = Buffer.from(given);
  return offered.length === wanted.length && timingSafeEqual(offered, wanted);
}

export function createAckToken(secret: Buffer, claims: Omit<AckClaims, 'nonce'>): string {
  const payload = Buffer.from(
    JSON.stringify({
      p: claims.pageId,
      ...(claims.responderId === undefined ? {} : { r: claims.responderId }),
      e: claims.expiresAt,
      n: randomBytes(12).toString('base64url'),
    }),
  ).toString('base64url');
  return `${payload}.${sign(secret, payload).toString('base64url')}`;
}

export function verifyAckToken(secret: Buffer, token: string, now: number): TokenCheck {
  const match = /^([A-Za-z0-9_-]{1,1000})\.([A-Za-z0-9_-]{43})$/.exec(token);
  if (match === null) return { ok: false, reason: 'malformed' };
  const [, payload, signature] = match;
  if (!signatureMatches(sign(secret, payload!), signature!)) return { ok: false, reason: 'bad-signature' };
  let raw: unknown;
  try {
    raw = JSON.parse(Buffer.from(payload!, 'base64url').toString('utf8'));
  } catch {
    return { ok: false, reason: 'malformed' };
  }
  const fields = raw as { p?: unknown; r?: unknown; e?: unknown; n?: unknown };
  if (
    typeof fields.p !== 'number' ||
    typeof fields.e !== 'number' ||
    typeof fields.n !== 'string' ||
    (fields.r !== undefined && typeof fields.r !== 'string')
  )
    return { ok: false, reason: 'malformed' };
  if (fields.e <= now) return { ok: false, reason: 'expired' };
  return {
    ok: true,
    claims: {
      pageId: fields.p,
      ...(typeof fields.r === 'string' ? { responderId: fields.r } : {}),
      expiresAt: fields.e,
      nonce: fields.n,
    },
  };
}

/** Voicemail audio for Asterisk to fetch (it cannot send a bearer token): a signed, expiring path. */
export function signMediaPath(secret: Buffer, voicemailId: string, expiresAt: number): string {
  const signature = sign(secret, `media:${voicemailId}:${expiresAt}`).toString('base64url');
  return `/media/voicemail/${encodeURIComponent(voicemailId)}.wav?e=${expiresAt}&s=${signature}`;
}

export function verifyMediaSignature(
  secret: Buffer,
  voicemailId: string,
  expiresAt: number,
  signature: string,
  now: number,
): boolean {
  if (!Number.isSafeInteger(expiresAt) || expiresAt <= now) return false;
  return signatureMatches(sign(secret, `media:${voicemailId}:${expiresAt}`), signature);
}

/** Makes the links that go out in notifications, once the listener's public address is known. */
export class LinkFactory {
  constructor(
    private readonly secret: Buffer,
    /** From config/startup.ts listenerAddresses(), as prompt URLs and `lcr doctor` are. */
    private readonly addresses: { public: string; media: string },
    private readonly ackTtlSeconds: () => number,
  ) {}

  ack(pageId: number, responderId: string | undefined, now: number): string {
    const token = createAckToken(this.secret, {
      pageId,
      ...(responderId === undefined ? {} : { responderId }),
      expiresAt: now + this.ackTtlSeconds() * 1000,
    });
    return `${this.addresses.public}/ack/${token}`;
  }

  /**
   * Good for one to two hours: long enough for a page call, short enough not to matter if logged.
   * The expiry is rounded to the hour so that replays use the same URL (Asterisk caches by URL).
   */
  voicemailForAsterisk(voicemailId: string, now: number): string {
    const expiresAt = (Math.floor(now / 3600_000) + 2) * 3600_000;
    return `${this.addresses.media}${signMediaPath(this.secret, voicemailId, expiresAt)}`;
  }
}
