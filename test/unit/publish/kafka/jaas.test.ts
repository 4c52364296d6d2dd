import { mechanismOfModule, parseJaasConfig } from '../../../../src/publish/kafka/jaas.js';

describe('parseJaasConfig', () => {
  it("reads a Strimzi KafkaUser Secret's sasl.jaas.config as it is", () => {
    const text =
      'org.apache.kafka.common.security.scram.ScramLoginModule required username="vim-event-relay" password="Zm9vYmFy1234";';
    expect(parseJaasConfig(text)).toEqual({
      loginModule: 'org.apache.kafka.common.security.scram.ScramLoginModule',
      options: { username: 'vim-event-relay', password: 'Zm9vYmFy1234' },
    });
  });

  it.each([
    [
      'spaces and a trailing newline',
      '  org.apache.kafka.common.security.plain.PlainLoginModule   required\n  username="u"\tpassword="p" ;\n',
      { username: 'u', password: 'p' },
    ],
    ['unquoted values', 'x.ScramLoginModule required username=u password=p;', { username: 'u', password: 'p' }],
    [
      'escapes, = ; and spaces inside quotes',
      String.raw`x.ScramLoginModule required username="a b" password="p\"w=;d\\";`,
      { username: 'a b', password: 'p"w=;d\\' },
    ],
    ['no options', 'x.ScramLoginModule required ;', {}],
  ])('%s', (_what, text, options) => {
    expect(parseJaasConfig(text).options).toEqual(options);
  });

  it.each([
    ['', /login module class/],
    ['username="u" password="p";', /login module class/],
    ['x.ScramLoginModule username="u";', /required/],
    ['x.ScramLoginModule required username="u" password="p"', /end with ";"/],
    ['x.ScramLoginModule required username="u password=p;', /not closed/],
    ['x.ScramLoginModule required username "u";', /key="value"/],
  ])('refuses %j with a reason', (text, reason) => {
    expect(() => parseJaasConfig(text)).toThrow(reason);
  });

  it('never quotes the text (it holds the password) in its errors', () => {
    try {
      parseJaasConfig('x.ScramLoginModule required password="s3cr3t-value" user');
      throw new Error('parsed');
    } catch (e) {
      expect((e as Error).message).not.toContain('s3cr3t-value');
    }
  });
});

describe('mechanismOfModule', () => {
  it.each([
    ['org.apache.kafka.common.security.scram.ScramLoginModule', 'scram'],
    ['org.apache.kafka.common.security.plain.PlainLoginModule', 'plain'],
    ['com.example.OtherModule', ''],
  ])('%s -> %j', (m, want) => expect(mechanismOfModule(m)).toBe(want));
});
