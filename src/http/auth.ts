/** Bearer-token check in constant time (hashes of equal length, so the token length does not leak). */
import { createHash, timingSafeEqual } from 'node:crypto';

export function tokenMatches(authorization: string | undefined, token: string): boolean {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
  if (match === null) return false;
  const digest = (text: string): Buffer => createHash('sha256').update(text).digest();
  return timingSafeEqual(digest(match[1]!), digest(token));
}
