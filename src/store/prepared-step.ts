/**
 * The one way a decision with memory (compute-node memory, VM alarms) is committed. Its step
 * decides before anything is sent and keeps the decision pending; the memory must then follow
 * only what the destinations accepted of the step's OWN records, so that a redelivery after a
 * refusal decides again (and sends again) rather than finding the decision already remembered.
 *
 * The pipeline (src/daemon/pipeline.ts) reports the outcome:
 * - commit(): once every record the step produced was accepted (at once for a step that
 *   produced none), whatever the notification's other records answer, and before the delivery
 *   is acked. It writes the memory (and tidies the step's claims, src/store/claims.ts); never
 *   rejects;
 * - release(): always, at the end, whatever happened; idempotent. Without commit it drops the
 *   decision (and puts back what the step claimed), so a redelivery decides again; after
 *   commit it only ends the step's turn, if commit did not already.
 */

export interface PreparedStep<T> {
  readonly value: T;
  commit(): Promise<void>;
  release(): void;
}

/**
 * The step of a decision that holds a turn (the next decision on the same memory waits for
 * it): commit() runs `keep` once; release() before that runs `drop` once (none: nothing to put
 * back) and ends the turn once it is done, and after commit only ends the turn. Neither `keep`
 * nor `drop` may reject.
 */
export function preparedStep<T>(
  value: T,
  endTurn: () => void,
  keep: () => Promise<void>,
  drop?: () => Promise<void>,
): PreparedStep<T> {
  let settled = false;
  return {
    value,
    commit: async () => {
      if (settled) return;
      settled = true;
      await keep();
    },
    release: () => {
      if (settled || !drop) return endTurn();
      settled = true;
      dropped(endTurn, drop);
    },
  };
}

/**
 * A decision given up before it was committed (released, or thrown while deciding): `drop`
 * runs (none: nothing to put back) and the turn ends once it is done, so that the next
 * decision reads the rows as they were. `drop` must not reject.
 */
export function dropped(endTurn: () => void, drop?: () => Promise<void>): void {
  if (!drop) return endTurn();
  void drop().finally(endTurn);
}
