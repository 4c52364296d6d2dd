/** Credentials are masked in whatever quotes them, whether or not the URL around them is well formed. */
import { REDACTED, redactDeep, redactText, redactValue } from '../../../src/util/redact.js';
import { quoteValue } from '../../../src/util/schemas.js';
import { PW, URLS_WITH_PASSWORD } from '../../helpers/malformed-urls.js';

describe('redaction of credentials', () => {
  it.each(URLS_WITH_PASSWORD)('masks the password of %j as a value, quoted, and in a schema message', (url) => {
    expect(redactValue(url)).not.toContain(PW);
    expect(redactText(`body.transportUrl ${JSON.stringify(url)} does not match`)).not.toContain(PW);
    expect(quoteValue(url)).not.toContain(PW);
    expect(JSON.stringify(redactDeep({ transportUrl: url, reason: `bad ${JSON.stringify(url)}` }))).not.toContain(PW);
  });

  it.each([
    ['rabbit://guest:guest@127.0.0.1:5672/', 'rabbit://guest:***@127.0.0.1:5672/'],
    ['rabbit://u:p@h1:5672,u2:p2@h2:5672/v', 'rabbit://u:***@h1:5672,u2:***@h2:5672/v'],
    ['rabbit//guest:pw@h:5672/', 'rabbit//guest:***@h:5672/'],
    ['guest:pw@h', 'guest:***@h'],
    ['rabbit://guest:a b@h/', 'rabbit://guest:***@h/'],
    ['rabbit://nova@h/', 'rabbit://nova@h/'],
  ])('keeps what is not secret: %j -> %j', (url, expected) => {
    expect(redactValue(url)).toBe(expected);
  });

  it('leaves text without credentials alone', () => {
    for (const t of ['connect ECONNREFUSED 127.0.0.1:5672', 'user@example.org wrote 10:30']) {
      expect(redactText(t)).toBe(t);
    }
    expect(REDACTED).toBe('***');
  });
});

describe('free text: a URL whose password holds "/", "," or a space', () => {
  it.each([
    `rabbit://nova:a/${PW}@h:5672/`,
    `rabbit://nova:${PW}/a@h:5672/`,
    `rabbit://nova:a,${PW}@h:5672/`,
    `rabbit://nova:${PW},a@h:5672/`,
    `rabbit://nova:a ${PW}@h:5672/`,
    `rabbit://nova:${PW} a/b,c@h:5672/vh`,
    `rabbit://nova:p@ss/${PW}@h/`,
    `amqp://u:p@h1,nova:a/${PW}@h2/`,
  ])('%s is masked, unquoted in a sentence, and the host stays', (url) => {
    for (const text of [`connecting to ${url} failed`, `url=${url}, then user@example.org`, url]) {
      const out = redactText(text);
      expect(out).not.toContain(PW);
      expect(out).toMatch(/nova:\*\*\*@h2?[:/]/);
    }
  });

  it('leaves a port followed by an address alone', () => {
    const t = 'rabbit://h:5672/ refused guest@x';
    expect(redactText(t)).toBe(t);
  });
});
