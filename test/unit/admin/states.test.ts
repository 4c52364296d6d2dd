import { knownStatesOrRefuse } from '../../../src/admin/states.js';
import { STATES } from '../../../src/model/subscription.js';

describe('knownStatesOrRefuse', () => {
  it.each<[string[], string[]]>([
    [['power_off'], ['POWER_OFF']],
    [
      ['Power_Off', 'POWER_OFF', ' delete '],
      ['POWER_OFF', 'DELETE'],
    ],
    [['*'], ['*']],
    [['create', '*'], ['*']],
    [[...STATES].map((s) => s.toLowerCase()), [...STATES]],
  ])('%j -> %j', (input, expected) => {
    expect(knownStatesOrRefuse(input, 'body.states')).toEqual(expected);
  });

  it('names every unknown state as written, once each whatever the case, and the vocabulary', () => {
    let error: unknown;
    try {
      knownStatesOrRefuse(['create', 'explode', 'EXPLODE', 'melt'], 'body.states');
    } catch (e) {
      error = e;
    }
    expect(error).toMatchObject({ code: 'VALIDATION_FAILED' });
    const message = (error as Error).message;
    expect(message).toMatch(
      /^body\.states has unknown state\(s\) "explode", "melt"; use "\*" or any of CREATE, DELETE/,
    );
    expect(message).toContain('COMPUTE_NODE_DELETE');
  });

  it('redacts a quoted unknown state that carries credentials', () => {
    expect(() => knownStatesOrRefuse(['amqp://u:topsecret@h/'], 'body.states')).toThrow(/"amqp:\/\/u:\*\*\*@h\/"/);
  });
});
