/**
 * Bearer-token check for the admin API. Both sides are hashed first so timingSafeEqual always
 * compares equal-length buffers: neither the token's content nor its length leaks through timing.
 */
import { createHash, timingSafeEqual } from 'node:crypto';

export type AuthOutcome = 'ok' | 'missing' | 'wrong';

const digest = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();

export function createBearerCheck(token: string): (authorization: string | undefined) => AuthOutcome {
  const expected = digest(token);
  return (authorization) => {
    const m = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(authorization ?? '');
    if (!m) return 'missing';
    return timingSafeEqual(digest(m[1]), expected) ? 'ok' : 'wrong';
  };
}
