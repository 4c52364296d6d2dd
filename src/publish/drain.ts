/**
 * A destination's close: wait until what it holds is settled, or the deadline passes, whichever
 * comes first. `whenDrained` hands over the function the destination calls once nothing is left.
 */
export async function drainedWithin(deadlineMs: number, whenDrained: (drained: () => void) => void): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    new Promise<void>((resolve) => whenDrained(resolve)),
    new Promise<void>((resolve) => (timer = setTimeout(resolve, Math.max(0, deadlineMs)))),
  ]);
  clearTimeout(timer);
}
