/** The queue arguments the relay asks for, and reading RabbitMQ 3.10's 406 answers (texts as measured). */
import { applyVimDefaults } from '../../../../src/config/vim.js';
import {
  adopt,
  deadLetterQueueArguments,
  parseInequivalence,
  queueArguments,
  typeOf,
} from '../../../../src/transport/amqp091/queue-args.js';

const vim = (spec: Record<string, unknown> = {}) =>
  applyVimDefaults({ id: 'v1', transportUrl: 'rabbit://g:g@h:5672/', ...spec });
const said = (arg: string, received: string, current: string) =>
  `Operation failed: QueueDeclare; 406 (PRECONDITION-FAILED) with message "PRECONDITION_FAILED - inequivalent arg '${arg}' for queue 'q' in vhost '/': received ${received} but current is ${current}"`;

describe('queueArguments', () => {
  it('quorum by default: delivery limit 20, at-least-once dead-lettering into the DLQ', () => {
    expect(queueArguments(vim())).toEqual({
      'x-queue-type': 'quorum',
      'x-dead-letter-exchange': '',
      'x-dead-letter-routing-key': 'vim-event-relay.v1.dead',
      'x-delivery-limit': 20,
      'x-dead-letter-strategy': 'at-least-once',
      'x-overflow': 'reject-publish',
    });
    expect(deadLetterQueueArguments(vim())).toEqual({ 'x-queue-type': 'quorum' });
  });

  it('deliveryLimit 0 leaves the limit to the broker but keeps the dead-letter target', () => {
    const args = queueArguments(vim({ deliveryLimit: 0 }));
    expect(args['x-delivery-limit']).toBeUndefined();
    expect(args['x-dead-letter-routing-key']).toBe('vim-event-relay.v1.dead');
  });

  it('classic: no delivery limit, no broker dead-lettering; single active consumer on request', () => {
    expect(queueArguments(vim({ queueType: 'classic', singleActiveConsumer: true }))).toEqual({
      'x-queue-type': 'classic',
      'x-single-active-consumer': true,
    });
  });

  it('maxLength: drop-head on both queues (at-least-once is then impossible, so not asked for)', () => {
    const args = queueArguments(vim({ maxLength: 1000 }));
    expect(args).toMatchObject({ 'x-max-length': 1000, 'x-overflow': 'drop-head', 'x-dead-letter-exchange': '' });
    expect(args['x-dead-letter-strategy']).toBeUndefined();
    expect(deadLetterQueueArguments(vim({ maxLength: 1000 }))).toEqual({
      'x-queue-type': 'quorum',
      'x-max-length': 1000,
      'x-overflow': 'drop-head',
    });
  });
});

describe('parseInequivalence', () => {
  const sent = { 'x-queue-type': 'quorum', 'x-delivery-limit': 20, 'x-single-active-consumer': true };
  it('reads "current is none" as an argument the queue does not have', () => {
    expect(parseInequivalence(said('x-queue-type', "the value 'quorum' of type 'longstr'", 'none'), sent)).toEqual({
      arg: 'x-queue-type',
      current: undefined,
    });
  });
  it('reads typed and untyped current values, numbers as numbers', () => {
    expect(parseInequivalence(said('x-queue-type', "'classic'", "'quorum'"), sent)).toEqual({
      arg: 'x-queue-type',
      current: 'quorum',
    });
    expect(parseInequivalence(said('x-delivery-limit', "'5'", "'20'"), sent)).toEqual({
      arg: 'x-delivery-limit',
      current: 20,
    });
    expect(parseInequivalence(said('x-delivery-limit', 'none', "the value '20' of type 'byte'"), {})).toEqual({
      arg: 'x-delivery-limit',
      current: 20,
    });
    expect(parseInequivalence(said('x-single-active-consumer', 'none', "the value 'true' of type 'bool'"), {})).toEqual(
      { arg: 'x-single-active-consumer', current: true },
    );
    expect(parseInequivalence(said('x-dead-letter-exchange', 'none', "the value '' of type 'longstr'"), {})).toEqual({
      arg: 'x-dead-letter-exchange',
      current: '',
    });
  });
  it('names the durable flag as such, and ignores other refusals', () => {
    expect(parseInequivalence(said('durable', "'true'", "'false'"), sent)?.arg).toBe('durable');
    expect(parseInequivalence('Operation failed: QueueDeclare; 403 (ACCESS-REFUSED)', sent)).toBeUndefined();
  });
});

describe('adopt and typeOf', () => {
  it('moves a probe towards the existing queue; no x-queue-type means classic', () => {
    const next = adopt(
      { 'x-queue-type': 'quorum', 'x-delivery-limit': 20 },
      { arg: 'x-queue-type', current: undefined },
    );
    expect(next).toEqual({ 'x-delivery-limit': 20 });
    expect(typeOf(next)).toBe('classic');
    expect(typeOf(adopt(next, { arg: 'x-queue-type', current: 'stream' }))).toBe('stream');
  });
});
