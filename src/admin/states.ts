/**
 * Subscription and check_vim_status states: case-insensitive on input, upper-case on output,
 * "*" for all (README "Subscriptions and states"). The schema can only say "a string"; the vocabulary is the
 * filter's (normalizeStates), and an unknown state is named in a VALIDATION_FAILED error.
 */
import { RelayError } from '../errors.js';
import { normalizeStates } from '../filter/match.js';
import { STATES } from '../model/subscription.js';
import { quoteValue } from '../util/schemas.js';

/** Upper-cased and de-duplicated; ["*"] when "*" is among them. Throws VALIDATION_FAILED naming unknown states. */
export function knownStatesOrRefuse(states: readonly string[], field: string): string[] {
  const { states: known, unknown } = normalizeStates(states);
  if (unknown.length > 0) {
    // Named as the user wrote them, once each whatever the case.
    const once = unknown
      .map((s) => s.trim())
      .filter((s, i, all) => all.findIndex((t) => t.toUpperCase() === s.toUpperCase()) === i);
    const names = once.map((s) => quoteValue(s)).join(', ');
    throw new RelayError(
      'VALIDATION_FAILED',
      `${field} has unknown state(s) ${names}; use "*" or any of ${STATES.join(', ')}`,
    );
  }
  return known;
}
