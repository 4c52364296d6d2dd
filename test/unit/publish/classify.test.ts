import {
  classifyError,
  classifyResponse,
  parseRetryAfter,
  REASON_BODY_LIMIT,
  type Outcome,
} from '../../../src/publish/classify.js';

const mrError = (status: number, code: number, errorMessage: string): string =>
  JSON.stringify({
    status,
    mrErrorCode: code,
    errorMessage,
    helpURL: 'https://docs.onap.org',
    statusTs: '2024-01-01T00:00:00Z',
  });
const partial = (n: number): string =>
  mrError(404, 5007, `Problem publishing message:VIM_VM_EVENTS.Successfully published number of messages :${n}`);

describe('classifyResponse', () => {
  it.each<[string, number, Record<string, string>, string, number, Outcome['kind']]>([
    ['200 with MR body', 200, {}, '{"count":3,"serverTimeMs":1}', 3, 'success'],
    ['200 with a non-JSON body', 200, {}, 'OK', 3, 'success'],
    ['201 empty body', 201, {}, '', 3, 'success'],
    ['204', 204, {}, '', 3, 'success'],
    ['408', 408, {}, '', 3, 'retry'],
    ['429', 429, {}, '', 3, 'retry'],
    ['500 MR internal', 500, {}, mrError(500, 3002, 'internal'), 3, 'retry'],
    ['503', 503, {}, 'Service Unavailable', 3, 'retry'],
    ['504 MR timeout', 504, {}, mrError(504, 3006, 'timeout'), 3, 'retry'],
    ['404 partial, 2 of 3 in', 404, {}, partial(2), 3, 'partial'],
    ['404 partial, 0 in', 404, {}, partial(0), 3, 'retry'],
    ['404 partial, all in', 404, {}, partial(3), 3, 'success'],
    ['404 without the partial text', 404, {}, mrError(404, 3001, 'No such topic'), 3, 'permanent'],
    ['400 bad JSON', 400, {}, mrError(400, 3005, 'Expecting an array or an object.'), 3, 'permanent'],
    ['401 AAF denied', 401, {}, mrError(401, 4002, 'denied'), 3, 'permanent'],
    ['403 blacklisted', 403, {}, '', 3, 'permanent'],
    ['413 too large', 413, {}, mrError(413, 3004, 'too large'), 3, 'permanent'],
    ['302 redirect', 302, { location: 'http://elsewhere' }, '', 3, 'permanent'],
  ])('%s -> %s', (_name, status, headers, body, size, kind) => {
    expect(classifyResponse(status, headers, body, size).kind).toBe(kind);
  });

  it('reports how many of a partial publish went in', () => {
    expect(classifyResponse(404, {}, partial(2), 5)).toEqual({
      kind: 'partial',
      published: 2,
      reason: expect.stringContaining('HTTP 404'),
    });
  });

  it("finds the partial count in MR's real text, where a cause follows the count", () => {
    const body = mrError(
      404,
      5007,
      'Problem publishing message:T.Successfully published number of messages :4.Broker down',
    );
    expect(classifyResponse(404, {}, body, 10)).toMatchObject({ kind: 'partial', published: 4 });
  });

  it('reads the partial count from a legacy "message" field and from plain text', () => {
    expect(
      classifyResponse(404, {}, JSON.stringify({ message: 'x. Successfully published number of messages :1' }), 2),
    ).toMatchObject({ kind: 'partial', published: 1 });
    expect(classifyResponse(404, {}, 'Successfully published number of messages :1', 2)).toMatchObject({
      kind: 'partial',
      published: 1,
    });
  });

  it('treats a 5xx carrying a partial count as partial', () => {
    expect(
      classifyResponse(503, {}, mrError(503, 5007, 'Successfully published number of messages :2'), 4),
    ).toMatchObject({ kind: 'partial', published: 2 });
  });

  it.each([
    ['seconds', '7', 7000],
    ['zero', '0', 0],
  ])('honours Retry-After in %s on 429', (_n, value, ms) => {
    expect(classifyResponse(429, { 'retry-after': value }, '', 1)).toEqual({
      kind: 'retry',
      retryAfterMs: ms,
      reason: 'HTTP 429',
    });
  });

  it('honours Retry-After on 503 too, and ignores a malformed one', () => {
    expect(classifyResponse(503, { 'retry-after': '2' }, '', 1)).toMatchObject({ retryAfterMs: 2000 });
    expect(classifyResponse(429, { 'retry-after': 'soon-ish' }, '', 1)).not.toHaveProperty('retryAfterMs');
    expect(classifyResponse(500, {}, '', 1)).not.toHaveProperty('retryAfterMs');
  });

  it('puts the status and a truncated body into a permanent reason', () => {
    const body = 'x'.repeat(REASON_BODY_LIMIT * 3);
    const out = classifyResponse(400, {}, body, 1);
    expect(out.kind).toBe('permanent');
    const reason = (out as { reason: string }).reason;
    expect(reason.startsWith('HTTP 400: xxx')).toBe(true);
    expect(reason.length).toBeLessThan(REASON_BODY_LIMIT + 40);
    expect(reason.endsWith('...')).toBe(true);
  });
});

describe('parseRetryAfter', () => {
  const now = Date.parse('2024-05-01T12:00:00Z');
  it.each<[string | undefined, number | undefined]>([
    [undefined, undefined],
    ['', undefined],
    ['3', 3000],
    [' 12 ', 12000],
    ['-1', undefined],
    ['1.5', undefined],
    ['Wed, 01 May 2024 12:00:30 GMT', 30000],
    ['Wed, 01 May 2024 11:59:00 GMT', 0],
    ['not a date', undefined],
  ])('%p -> %p', (value, expected) => {
    expect(parseRetryAfter(value, now)).toBe(expected);
  });
});

describe('classifyError', () => {
  it.each([
    [
      'a refused connection',
      Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' }),
      'ECONNREFUSED',
    ],
    ['a reset', Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }), 'ECONNRESET: socket hang up'],
    [
      'a timeout',
      Object.assign(new Error('no answer from DMaaP within 5000 ms'), { code: 'ETIMEDOUT' }),
      'ETIMEDOUT: no answer',
    ],
    ['a thrown string', 'boom', 'boom'],
  ])('retries after %s', (_n, err, text) => {
    const out = classifyError(err);
    expect(out.kind).toBe('retry');
    expect((out as { reason: string }).reason).toContain(text);
  });
});
