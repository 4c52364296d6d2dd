/**
 * Secrets at rest: with store.secretKeyFile set, the secrets the store keeps (each VIM's
 * transportUrl, which holds its broker password, and each VES collector's password) are written
 * AES-256-GCM encrypted, and read back decrypted. Applied where rows cross into the engine and
 * out of it (state-file.ts for the file, pg/tables.ts for PostgreSQL), so every other part of
 * the relay sees plaintext and neither the file nor a table holds a password.
 *
 * A sealed value is `enc:v1:<keyId>:<base64url of iv(12) | tag(16) | ciphertext>`; the key id
 * says which key of the file opens it, so a new key can be rolled in: put its line first
 * (it encrypts from then on), keep the old line (it still decrypts), run
 * `vim-event-relay reencrypt-store`, then drop the old line. The additional data binds a value
 * to its row and field: a sealed password copied into another VIM does not open.
 *
 * Key file: one key a line, `<keyId>:<base64 of 32 random bytes>`, the first line the current
 * key; blank lines and lines starting with "#" are skipped. A value found in clear (a store
 * written before the key was set) is read as it is and sealed when its row is next written.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { readKeyRing, SECRET_KEY_FILE_KEY, type KeyRing } from '../config/secret-key-file.js';
import { RelayError } from '../errors.js';
import type { StoreState } from './state.js';
import type { StoreKind } from './store.js';

const PREFIX = 'enc:v1:';
const IV_BYTES = 12;
const TAG_BYTES = 16;
export interface SecretCodec {
  /** The key new values are sealed with; undefined: secrets are written in clear. */
  readonly currentId: string | undefined;
  /** A row's value as the engine keeps it. */
  seal(kind: StoreKind, k1: string, value: Record<string, unknown>): Record<string, unknown>;
  /** A row's value as the engine kept it, back to plaintext (clear values pass as they are). */
  open(kind: StoreKind, k1: string, value: Record<string, unknown>): Record<string, unknown>;
  /** Whether a stored value holds a secret in clear or under another key than the current one. */
  stale(kind: StoreKind, k1: string, stored: Record<string, unknown>): boolean;
}

type Field = {
  get(v: Record<string, unknown>): unknown;
  set(v: Record<string, unknown>, s: string): Record<string, unknown>;
};

/** Where the secrets are in each kind of row. */
const SECRET_FIELDS: Partial<Record<StoreKind, Record<string, Field>>> = {
  vims: {
    transportUrl: { get: (v) => v.transportUrl, set: (v, s) => ({ ...v, transportUrl: s }) },
  },
  vesAgents: {
    'ves_subscription.password': {
      get: (v) => (v.ves_subscription as Record<string, unknown> | undefined)?.password,
      set: (v, s) => ({ ...v, ves_subscription: { ...(v.ves_subscription as Record<string, unknown>), password: s } }),
    },
  },
};

const aad = (kind: StoreKind, k1: string, field: string): Buffer => Buffer.from(`${kind}\u0000${k1}\u0000${field}`);
const isSealed = (s: unknown): s is string => typeof s === 'string' && s.startsWith(PREFIX);
const keyIdOf = (sealed: string): string => sealed.slice(PREFIX.length).split(':')[0];

function sealOne(ring: KeyRing, plain: string, where: Buffer): string {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', ring.keys.get(ring.currentId)!, iv);
  cipher.setAAD(where);
  const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
  return `${PREFIX}${ring.currentId}:${Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64url')}`;
}

function openOne(ring: KeyRing | undefined, sealed: string, where: Buffer, row: string): string {
  const id = keyIdOf(sealed);
  if (!ring)
    throw new RelayError(
      'CONFIG_INVALID',
      `the store holds secrets encrypted with key "${id}" (${row}) but store.secretKeyFile is empty; set ${SECRET_KEY_FILE_KEY} to the key file`,
    );
  const key = ring.keys.get(id);
  if (!key)
    throw new RelayError(
      'CONFIG_INVALID',
      `the store holds secrets encrypted with key "${id}" (${row}), which ${ring.file} does not have; add that key's line back (keep a retired key until "vim-event-relay reencrypt-store" has run)`,
    );
  const raw = Buffer.from(sealed.slice(PREFIX.length + id.length + 1), 'base64url');
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, IV_BYTES));
    decipher.setAAD(where);
    decipher.setAuthTag(raw.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
    return Buffer.concat([decipher.update(raw.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]).toString('utf8');
  } catch (e) {
    throw new RelayError(
      'STORE_CORRUPT',
      `cannot decrypt a secret of ${row} with key "${id}" of ${ring.file}: the key is not the one that encrypted it, or the stored value was altered`,
      { cause: e },
    );
  }
}

function codecOf(ring: KeyRing | undefined): SecretCodec {
  const each = (
    kind: StoreKind,
    value: Record<string, unknown>,
    fn: (s: string, field: string) => string,
  ): Record<string, unknown> => {
    let out = value;
    for (const [field, f] of Object.entries(SECRET_FIELDS[kind] ?? {})) {
      const s = f.get(out);
      if (typeof s === 'string' && s !== '') out = f.set(out, fn(s, field));
    }
    return out;
  };
  return {
    currentId: ring?.currentId,
    seal: (kind, k1, value) => (ring ? each(kind, value, (s, field) => sealOne(ring, s, aad(kind, k1, field))) : value),
    open: (kind, k1, value) =>
      each(kind, value, (s, field) => (isSealed(s) ? openOne(ring, s, aad(kind, k1, field), `${kind} ${k1}`) : s)),
    stale: (kind, _k1, stored) =>
      Object.values(SECRET_FIELDS[kind] ?? {}).some((f) => {
        const s = f.get(stored);
        if (typeof s !== 'string' || s === '') return false;
        return ring ? !isSealed(s) || keyIdOf(s) !== ring.currentId : false;
      }),
  };
}

/** Secrets as they are: no store.secretKeyFile. */
export const CLEAR_CODEC: SecretCodec = codecOf(undefined);

/** The codec of store.secretKeyFile ('' = CLEAR_CODEC); CONFIG_INVALID when the file cannot be used. */
export function createSecretCodec(file: string): SecretCodec {
  if (!file) return CLEAR_CODEC;
  const { ring, problems } = readKeyRing(file);
  if (!ring) throw new RelayError('CONFIG_INVALID', problems.join('\n'));
  return codecOf(ring);
}

type Rows = Record<string, Record<string, unknown>>;
const isObject = (v: unknown): v is Record<string, unknown> => Boolean(v) && typeof v === 'object' && !Array.isArray(v);

function mapRows(
  value: unknown,
  fn: (kind: StoreKind, k1: string, row: Record<string, unknown>) => Record<string, unknown>,
): unknown {
  if (!isObject(value)) return value;
  const out: Record<string, unknown> = { ...value };
  if (Array.isArray(value.vims))
    out.vims = value.vims.map((v: unknown) => (isObject(v) && typeof v.id === 'string' ? fn('vims', v.id, v) : v));
  if (isObject(value.vesAgents))
    out.vesAgents = Object.fromEntries(
      Object.entries(value.vesAgents as Rows).map(([vim, a]) => [vim, isObject(a) ? fn('vesAgents', vim, a) : a]),
    );
  return out;
}

/** The whole file store's state as written: its secrets sealed (as is without a key). */
export function sealState(state: Readonly<StoreState>, codec: SecretCodec): unknown {
  return codec.currentId ? mapRows(state, (kind, k1, row) => codec.seal(kind, k1, row)) : state;
}

/** A state file as parsed, its secrets opened; anything not shaped like a state is left for checkState to judge. */
export function openState(parsed: unknown, codec: SecretCodec): unknown {
  return mapRows(parsed, (kind, k1, row) => codec.open(kind, k1, row));
}

/** How many secrets of a state file are in clear or under an older key (reencrypt-store, the start-up warning). */
export function staleSecrets(parsed: unknown, codec: SecretCodec): number {
  let n = 0;
  mapRows(parsed, (kind, k1, row) => {
    if (codec.stale(kind, k1, row)) n++;
    return row;
  });
  return n;
}
