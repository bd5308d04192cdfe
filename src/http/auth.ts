/** Bearer-token check in constant time (hashes of equal length, so the token length does not leak). */
import { createHash, timingSafeEqual } from 'node:crypto';

export function tokenMatches(authorization: string | undefined, token: string): boolean {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
  return match !== null && sameSecret(match[1]!, token);
}

/** Two secrets compared in constant time, whatever their lengths (their hashes are compared). */
export function sameSecret(a: string, b: string): boolean {
  const digest = (text: string): Buffer => createHash('sha256').update(text).digest();
  return timingSafeEqual(digest(a), digest(b));
}
