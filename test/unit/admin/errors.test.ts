import { toFailure } from '../../../src/admin/errors.js';
import { RelayError } from '../../../src/errors.js';

const fst = (code: string, statusCode: number) => Object.assign(new Error('framework wording'), { code, statusCode });

describe('toFailure', () => {
  it.each<[string, unknown, number, string]>([
    ['a RelayError', new RelayError('CONFLICT', 'c'), 409, 'CONFLICT'],
    ['a RelayError of the pipeline', new RelayError('DMAAP_UNAVAILABLE', 'd'), 503, 'DMAAP_UNAVAILABLE'],
    [
      'a schema violation',
      Object.assign(new Error('body.x is required'), { validation: [{}] }),
      400,
      'VALIDATION_FAILED',
    ],
    ['a body over the limit', fst('FST_ERR_CTP_BODY_TOO_LARGE', 413), 413, 'PAYLOAD_TOO_LARGE'],
    ['a non-JSON body', fst('FST_ERR_CTP_INVALID_MEDIA_TYPE', 415), 415, 'UNSUPPORTED_MEDIA_TYPE'],
    ['broken JSON', fst('FST_ERR_CTP_INVALID_JSON_BODY', 400), 400, 'VALIDATION_FAILED'],
    ['an empty JSON body', fst('FST_ERR_CTP_EMPTY_JSON_BODY', 400), 400, 'VALIDATION_FAILED'],
    ['a bad URL', fst('FST_ERR_BAD_URL', 400), 400, 'VALIDATION_FAILED'],
    ['another client error', fst('FST_ERR_SOMETHING', 400), 400, 'VALIDATION_FAILED'],
    ['a plain Error', new Error('boom'), 500, 'INTERNAL'],
    ['a thrown string', 'boom', 500, 'INTERNAL'],
    ['undefined', undefined, 500, 'INTERNAL'],
  ])('%s -> %i %s', (_n, e, status, code) => {
    const f = toFailure(e, 1024);
    expect(f.status).toBe(status);
    expect(f.body.error.code).toBe(code);
    expect(f.unexpected).toBe(code === 'INTERNAL');
  });

  it('keeps framework wording and unexpected details out of the message', () => {
    expect(toFailure(fst('FST_ERR_CTP_BODY_TOO_LARGE', 413), 2048).body.error.message).toBe(
      'the request body is larger than 2048 bytes (admin.bodyLimitBytes)',
    );
    expect(toFailure(new Error('secret internals'), 1).body.error.message).not.toContain('secret');
  });
});
