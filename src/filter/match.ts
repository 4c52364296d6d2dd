/** Notification x subscriptions -> the subscriptions it goes to, and as which state. Pure. */
import type { Notification } from '../notifications/types.js';
import { classify, type Classification } from './classify.js';
import { STATES, stateKey, type Match, type Phase, type State, type Subscription } from '../model/subscription.js';

const ALL = '*';
const KNOWN = new Set<string>(STATES);
const DEFAULT_PHASES: readonly Phase[] = ['end'];

/**
 * Subscriptions may come in any case (a config file read by `replay`); they are immutable
 * objects, so each one's upper-cased states are worked out once, not per notification.
 */
const wantedStates = new WeakMap<Subscription, ReadonlySet<string>>();

function wantsState(sub: Subscription, state: State): boolean {
  let wanted = wantedStates.get(sub);
  if (!wanted) {
    wanted = new Set(sub.states.map(stateKey));
    wantedStates.set(sub, wanted);
  }
  return wanted.has(ALL) || wanted.has(state);
}

/**
 * ERROR wins when the subscription asks for it: "this instance failed" is what such a
 * subscriber is waiting for, whatever operation failed and whatever phases it listed.
 */
/** The phases a subscription takes: its own, or DEFAULT_PHASES when it lists none. */
const phasesOf = (sub: Subscription): readonly Phase[] =>
  sub.phases && sub.phases.length > 0 ? sub.phases : DEFAULT_PHASES;

function eventFor(sub: Subscription, c: Classification): State | null {
  if (c.error && wantsState(sub, 'ERROR')) return 'ERROR';
  if (c.state === null || !wantsState(sub, c.state)) return null;
  return phasesOf(sub).includes(c.phase) ? c.state : null;
}

/**
 * One Match per subscription of this VIM that wants the notification; a notification can go to
 * several topics. A caller matching one notification against several lists passes its
 * classification, so it is worked out once.
 */
export function matchSubscriptions(
  vimId: string,
  n: Notification,
  subs: readonly Subscription[],
  c: Classification | null = classify(n),
): Match[] {
  if (!c) return [];
  const matches: Match[] = [];
  for (const subscription of subs) {
    if (subscription.vimId !== vimId) continue;
    const event = eventFor(subscription, c);
    if (event) matches.push({ subscription, event, phase: c.phase });
  }
  return matches;
}

/**
 * Whether any subscription of this VIM in `subs` matches the classification (the filtered fast
 * path asks it with classifyType's, which a parsed notification can only narrow).
 */
export function couldMatch(vimId: string, c: Classification | null, subs: readonly Subscription[]): boolean {
  if (!c) return false;
  for (const subscription of subs) {
    if (subscription.vimId === vimId && eventFor(subscription, c) !== null) return true;
  }
  return false;
}

/**
 * Subscription input -> the stored form: upper case, de-duplicated, `["*"]` when "*" is
 * among them; `unknown` lists the inputs that are no state, as given, so the admin API can name them.
 */
export function normalizeStates(input: readonly unknown[]): { states: string[]; unknown: string[] } {
  const states = new Set<string>();
  const unknown: string[] = [];
  for (const item of input) {
    const up = typeof item === 'string' ? stateKey(item) : '';
    if (up === ALL || KNOWN.has(up)) states.add(up);
    else unknown.push(typeof item === 'string' ? item : (JSON.stringify(item) ?? String(item)));
  }
  return { states: states.has(ALL) ? [ALL] : [...states], unknown };
}

/**
 * Why a subscription does not take a notification of this classification, for `explain`; null
 * when it does. Says what to change: the states, the phases, or that nothing can take it.
 */
export function whyNotMatched(
  vimId: string,
  sub: Subscription,
  c: Classification | null,
  eventType: string,
): string | null {
  if (sub.vimId !== vimId) return `it belongs to VIM ${sub.vimId}`;
  if (!c) return `${eventType} is neither an instance nor a compute-node event: no subscription takes it`;
  if (eventFor(sub, c) !== null) return null;
  if (c.state === null)
    return c.error
      ? `it is a failure (ERROR) and the subscription's states do not include ERROR`
      : `${eventType} maps to no state (an update that changed no vm or task state, or an event the state table does not list)`;
  if (!wantsState(sub, c.state))
    return `its state is ${c.state}${c.error ? ' (a failure: ERROR)' : ''}, not among the subscription's states ${JSON.stringify(sub.states)}`;
  return `its phase is ${c.phase}, not among the subscription's phases ${JSON.stringify(phasesOf(sub))}${sub.phases?.length ? '' : ' (the default)'}`;
}
