/**
 * Who may do what on the admin API. Two bearer tokens, two roles:
 *
 * - the admin token (admin.authToken) may do everything;
 * - the read token (admin.readToken) may read: every GET (VIMs, subscriptions, VES agent
 *   configurations, the API description), check_vim_status (a POST that changes nothing), and
 *   /metrics when admin.metricsRequireToken is set.
 *
 * Tokens are compared hashed, so timingSafeEqual always compares equal-length buffers: neither
 * a token's content nor its length leaks through timing. A token given as a file is read again
 * when the file changes (src/util/watch-files.ts): a rotated Secret takes effect without a restart.
 */
import { createHash, timingSafeEqual } from 'node:crypto';

export type Role = 'read' | 'admin';
/** A request's fate: allowed, or refused and why ("forbidden": a valid read token asking to change). */
export type Verdict = 'ok' | 'missing' | 'wrong' | 'forbidden';

const digest = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();
const BEARER = /^Bearer[ \t]+(\S+)[ \t]*$/i;

/** POSTs that only read (fastify route paths); every other method than GET changes something. */
const READING_POSTS: ReadonlySet<string> = new Set(['/api/multicloud-vio/v0/:vimId/check_vim_status']);

/** The role a route needs: `routeUrl` is fastify's pattern (undefined for an unknown path: reading suffices to learn it is not there). */
export function roleFor(method: string, routeUrl: string | undefined): Role {
  if (method === 'GET' || method === 'HEAD' || routeUrl === undefined) return 'read';
  return READING_POSTS.has(routeUrl) ? 'read' : 'admin';
}

/** The tokens in force; each can be replaced while the port runs (a rotated file). */
export class Tokens {
  private digests: Record<Role, Buffer | undefined> = { admin: undefined, read: undefined };
  private values: Record<Role, string> = { admin: '', read: '' };

  constructor(initial: { readonly admin: string; readonly read: string }) {
    this.set('admin', initial.admin);
    this.set('read', initial.read);
  }

  set(role: Role, token: string): void {
    this.values[role] = token;
    this.digests[role] = token ? digest(token) : undefined;
  }

  /** false: no admin token, the API is open (loopback, or admin.allowUnauthenticated). */
  get required(): boolean {
    return this.digests.admin !== undefined;
  }

  /** The literal tokens, for redaction of answers. */
  secrets(): string[] {
    return [this.values.admin, this.values.read].filter((t) => t !== '');
  }

  /** Whether `authorization` grants `need`. Both digests are always compared: timing does not tell which token matched. */
  check(authorization: string | undefined, need: Role): Verdict {
    if (!this.required) return 'ok';
    const m = BEARER.exec(authorization ?? '');
    if (!m) return 'missing';
    const presented = digest(m[1]);
    const same = (d: Buffer | undefined): boolean => d !== undefined && timingSafeEqual(presented, d);
    const isAdmin = same(this.digests.admin);
    const isRead = same(this.digests.read);
    if (isAdmin) return 'ok';
    if (isRead) return need === 'read' ? 'ok' : 'forbidden';
    return 'wrong';
  }
}
