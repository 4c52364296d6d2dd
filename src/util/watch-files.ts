/**
 * Calls back when the content of any of a few small files changes: the admin port's certificate
 * and key (cert-manager rotates them), its token files. Two triggers, one judge:
 *
 * - fs.watch on each file's directory reacts within milliseconds to a rewrite or a rename;
 * - a periodic check catches what fs.watch misses. A Kubernetes Secret volume updates by
 *   swapping a `..data` symlink, and a watch on the file's own inode would keep watching the
 *   old target for ever.
 *
 * Either trigger only makes the watcher read the files again; the callback runs when a file's
 * content (sha-256) differs from the last seen, so a burst of events is one call, and a file
 * touched without change is none. A file that cannot be read counts as its own content
 * ("missing"): its coming back is a change too.
 */
import { createHash } from 'node:crypto';
import { watch, type FSWatcher } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname } from 'node:path';

export interface FileWatcher {
  close(): void;
}

export interface WatchOptions {
  /** How often the files are read regardless of events (ms). */
  readonly intervalMs: number;
  /** Called when a watch or the callback itself fails; the watcher goes on. */
  readonly onError?: (e: unknown) => void;
}

async function fingerprint(file: string): Promise<string> {
  try {
    return createHash('sha256')
      .update(await readFile(file))
      .digest('hex');
  } catch (e) {
    return `unreadable:${(e as NodeJS.ErrnoException).code ?? 'error'}`;
  }
}

/** Watches `files` (their content now is the baseline); `onChange` runs once per change seen, never two at once. */
export async function watchFiles(
  files: readonly string[],
  onChange: () => Promise<void> | void,
  opts: WatchOptions,
): Promise<FileWatcher> {
  const seen = new Map<string, string>();
  for (const f of files) seen.set(f, await fingerprint(f));
  let closed = false;
  let running: Promise<void> | undefined;
  let again = false;
  const check = async (): Promise<void> => {
    let changed = false;
    for (const f of files) {
      const now = await fingerprint(f);
      if (seen.get(f) !== now) changed = true;
      seen.set(f, now);
    }
    if (changed && !closed) await onChange();
  };
  // One check at a time; an event during a check asks for one more after it (it may have missed the change).
  const trigger = (): void => {
    if (closed) return;
    if (running) {
      again = true;
      return;
    }
    running = check()
      .catch((e: unknown) => opts.onError?.(e))
      .finally(() => {
        running = undefined;
        if (again) {
          again = false;
          trigger();
        }
      });
  };
  const watchers: FSWatcher[] = [];
  for (const dir of new Set(files.map((f) => dirname(f)))) {
    try {
      const w = watch(dir, { persistent: false }, trigger);
      w.on('error', (e) => opts.onError?.(e));
      watchers.push(w);
    } catch (e) {
      // No events for this directory (it does not exist yet, or the platform cannot): the timer still checks.
      opts.onError?.(e);
    }
  }
  const timer = setInterval(trigger, opts.intervalMs);
  timer.unref();
  return {
    close() {
      closed = true;
      clearInterval(timer);
      for (const w of watchers) w.close();
    },
  };
}
