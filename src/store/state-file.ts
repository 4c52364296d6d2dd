/**
 * The file the single-process store keeps the relay's durable state in (state.ts says what it
 * holds; file-store.ts is the RelayStore built on it). One JSON file, replaced
 * atomically (write a temp file, fsync, rename, fsync the directory), so a crash at any moment
 * leaves either the old or the new state, never a torn one. A file that cannot be read as a
 * store stops the start-up: replacing it with the config's seed would silently undo every
 * change made through the admin API.
 */
import { constants } from 'node:fs';
import { access, mkdir, open, readdir, readFile, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { RelayError } from '../errors.js';
import { CLEAR_CODEC, openState, sealState, type SecretCodec } from './secret-codec.js';
import { checkState, migrateToV2, seedState, type StateMutator, type StoreSeed, type StoreState } from './state.js';

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

function corrupt(path: string, what: string, cause?: unknown): RelayError {
  return new RelayError(
    'STORE_CORRUPT',
    `store file ${path} cannot be used: ${what}. It is left untouched. Restore it from a backup, ` +
      'or move it away to start again from the vims and subscriptions in the config (changes made through the admin API since are then lost).',
    { cause },
  );
}

function isNotFound(e: unknown): boolean {
  return (e as NodeJS.ErrnoException | null)?.code === 'ENOENT';
}

export class StateFile {
  private state: StoreState;
  private tail: Promise<void> = Promise.resolve();
  private tmpCounter = 0;

  private constructor(
    readonly path: string,
    initial: StoreState,
    private readonly codec: SecretCodec,
  ) {
    this.state = deepFreeze(initial);
  }

  /**
   * Opens the store at `path`. No file: seeds it from the config and writes it (seeded=true).
   * A valid file: used as is, the seed is ignored (seeded=false; the caller says so in the log).
   * Anything else: RelayError STORE_CORRUPT, the file untouched. Secrets are written sealed by
   * `codec` and read through it (secret-codec.ts); a file in clear opens under any codec.
   */
  static async open(
    path: string,
    seed: StoreSeed,
    codec: SecretCodec = CLEAR_CODEC,
  ): Promise<{ store: StateFile; seeded: boolean }> {
    await ensureWritableDir(path);
    await removeLeftoverTempFiles(path);
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (e) {
      if (!isNotFound(e)) throw corrupt(path, `it cannot be read (${(e as Error).message})`, e);
      return { store: await StateFile.seed(path, seed, codec), seeded: true };
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (e) {
      const kind = text.trim() === '' ? 'it is empty' : `it is not valid JSON (${(e as Error).message})`;
      throw corrupt(path, kind, e);
    }
    const upgraded = openState(migrateToV2(parsed), codec);
    const problem = checkState(upgraded);
    if (problem) throw corrupt(path, problem);
    return { store: new StateFile(path, upgraded as StoreState, codec), seeded: false };
  }

  private static async seed(path: string, seed: StoreSeed, codec: SecretCodec): Promise<StateFile> {
    const initial = seedState(seed);
    const store = new StateFile(path, initial, codec);
    await store.write(initial);
    return store;
  }

  /** The last state written. Frozen: change it only through update(). */
  get(): Readonly<StoreState> {
    return this.state;
  }

  /**
   * Applies `mutator` to a copy of the current state and writes it. Updates run one after
   * another in call order, each on the result of the one before; get() shows a change only
   * once it is on disk. A mutator that throws, or leaves a state the store could not load
   * again (RelayError VALIDATION_FAILED), changes nothing.
   */
  update(mutator: StateMutator): Promise<void> {
    const run = this.tail.then(() => this.apply(mutator));
    // A failed update must not block the ones queued behind it; its caller gets the error.
    this.tail = run.catch(() => undefined);
    return run;
  }

  /** Resolves when every update queued so far has settled. */
  async flush(): Promise<void> {
    await this.tail;
  }

  private async apply(mutator: StateMutator): Promise<void> {
    const draft = structuredClone<StoreState>(this.state);
    mutator(draft);
    const problem = checkState(draft);
    if (problem) throw new RelayError('VALIDATION_FAILED', `store update refused: ${problem}`);
    await this.write(draft);
    this.state = deepFreeze(draft);
  }

  private async write(state: StoreState): Promise<void> {
    const tmp = `${this.path}.tmp-${process.pid}-${++this.tmpCounter}`;
    try {
      // 0600: transport URLs in the store carry broker passwords.
      const file = await open(tmp, 'w', 0o600);
      try {
        await file.writeFile(`${JSON.stringify(sealState(state, this.codec), null, 2)}\n`, 'utf8');
        await file.sync();
      } finally {
        await file.close();
      }
      await rename(tmp, this.path);
    } catch (e) {
      await unlink(tmp).catch(() => undefined);
      throw e;
    }
    // The rename itself is durable only once the directory entry is flushed.
    const dir = await open(dirname(this.path), 'r');
    try {
      await dir.sync();
    } finally {
      await dir.close();
    }
  }
}

/** The errors that mean this user cannot create or write the store's directory. */
const NOT_WRITABLE = new Set(['EACCES', 'EPERM', 'EROFS', 'ENOTDIR', 'EEXIST']);

/** The store's directory, created if missing and writable, or an error naming store.path: else the first write would fail much later. */
async function ensureWritableDir(path: string): Promise<void> {
  const dir = dirname(path);
  try {
    await mkdir(dir, { recursive: true });
    await access(dir, constants.W_OK);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? '';
    if (!NOT_WRITABLE.has(code)) throw e;
    const uid = process.getuid?.();
    throw new RelayError(
      'CONFIG_INVALID',
      `store.path (VIM_EVENT_RELAY_STORE_PATH) is ${path}, but its directory ${dir} cannot be created or written${uid === undefined ? '' : ` by uid ${uid}`} (${code}); ` +
        'point store.path at a writable directory, or make that one writable by this user',
    );
  }
}

/** A crash between writing a temp file and renaming it leaves the temp file behind: remove it at open. */
async function removeLeftoverTempFiles(path: string): Promise<void> {
  const prefix = `${basename(path)}.tmp-`;
  const names = await readdir(dirname(path));
  await Promise.all(
    names.filter((n) => n.startsWith(prefix)).map((n) => unlink(join(dirname(path), n)).catch(() => undefined)),
  );
}
