import { isConnectionError } from '../../../../src/store/pg/errors.js';

describe('isConnectionError', () => {
  it.each([
    [Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }), true],
    [new Error('Connection terminated unexpectedly'), true],
    [new Error('Query read timeout'), true],
    [Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' }), true],
    [Object.assign(new Error('the database system is starting up'), { code: '57P03' }), true],
    [Object.assign(new Error('connection failure'), { code: '08006' }), true],
    [Object.assign(new Error('sorry, too many clients already'), { code: '53300' }), true],
    [Object.assign(new Error('syntax error at or near "SELEC"'), { code: '42601' }), false],
    [Object.assign(new Error('duplicate key value violates unique constraint'), { code: '23505' }), false],
    ['a string', false],
  ])('%p -> %p', (e, expected) => {
    expect(isConnectionError(e)).toBe(expected);
  });
});
