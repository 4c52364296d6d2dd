/**
 * Bounding a step of the stop sequence in time. A broker that stopped reading our socket
 * (connection.blocked under a resource alarm, a half-open TCP connection) never answers
 * basic.cancel or channel.close; shutdown must still end, because anything it leaves unacked
 * is redelivered by the broker once the process is gone.
 */

/**
 * How long closing a VIM's broker connection may take once its drain is over (the close
 * requeues what is left and waits for the broker's close-ok). Past it the daemon goes on; the
 * broker requeues whatever was not acked when the socket finally drops.
 */
export const CLOSE_GRACE_MS = 5000;

/** Resolves true once `work` settled (either way), false when `ms` passed first. Never rejects. */
export async function settlesWithin(work: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const done = await Promise.race([
    work.then(
      () => true,
      () => true,
    ),
    new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), Math.max(0, ms)))),
  ]);
  clearTimeout(timer);
  return done;
}
