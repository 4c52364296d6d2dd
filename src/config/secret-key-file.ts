/**
 * store.secretKeyFile: the keys that encrypt the store's secrets (src/store/secret-codec.ts),
 * one a line, `<keyId>:<base64 of 32 random bytes>`, the first line the current key; blank
 * lines and lines starting with "#" are skipped. Read and checked here, where the config's
 * other files are, so check-config and run refuse the same key file.
 */
import { readFileSync } from 'node:fs';

const KEY_ID = /^[A-Za-z0-9_.-]{1,64}$/;
export const SECRET_KEY_FILE_KEY = 'store.secretKeyFile (VIM_EVENT_RELAY_STORE_SECRET_KEY_FILE)';
const EXAMPLE = `printf 'k1:%s\\n' "$(openssl rand -base64 32)"`;

export interface KeyRing {
  readonly file: string;
  /** The first key of the file: it encrypts. */
  readonly currentId: string;
  readonly keys: ReadonlyMap<string, Buffer>;
}

/** The keys of a key file's text, or the problems (line numbers, never a key). */
export function parseKeyFile(text: string, file: string): { ring?: KeyRing; problems: string[] } {
  const problems: string[] = [];
  const keys = new Map<string, Buffer>();
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const colon = line.indexOf(':');
    const id = line.slice(0, colon);
    const key = colon > 0 ? Buffer.from(line.slice(colon + 1), 'base64') : Buffer.alloc(0);
    if (colon <= 0 || !KEY_ID.test(id) || key.length !== 32) {
      problems.push(
        `${SECRET_KEY_FILE_KEY}: line ${i + 1} of ${file} is not "<keyId>:<base64 of 32 bytes>" (keyId: letters, digits, "_", "-", "."); make one with ${EXAMPLE}`,
      );
    } else if (keys.has(id))
      problems.push(`${SECRET_KEY_FILE_KEY}: key id "${id}" appears twice in ${file}; give each key its own id`);
    else keys.set(id, key);
  });
  if (!problems.length && keys.size === 0)
    problems.push(`${SECRET_KEY_FILE_KEY}: ${file} holds no key; write one line made with ${EXAMPLE}`);
  if (problems.length) return { problems };
  return { ring: { file, currentId: [...keys.keys()][0], keys }, problems };
}

export function readKeyRing(file: string): { ring?: KeyRing; problems: string[] } {
  try {
    return parseKeyFile(readFileSync(file, 'utf8'), file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? (e as Error).message;
    return {
      problems: [`${SECRET_KEY_FILE_KEY}: cannot read ${file} (${code}); mount the key file there or fix the path`],
    };
  }
}

/** For the config check: what is wrong with the key file, or nothing (also when none is set). */
export function secretKeyFileProblems(file: string): string[] {
  return file ? readKeyRing(file).problems : [];
}
