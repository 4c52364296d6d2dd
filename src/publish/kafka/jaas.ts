/**
 * The `sasl.jaas.config` value of a Strimzi KafkaUser Secret, as ONAP charts pass it (JAAS_CONFIG):
 *   org.apache.kafka.common.security.scram.ScramLoginModule required username="u" password="p";
 * One login module, the `required` flag, then key="value" options, then ";". Java's JAAS parser
 * (ConfigFile) also takes unquoted values and backslash escapes inside quotes; so does this.
 * Pure: no I/O. Errors never quote the text, which holds a password.
 */

export interface JaasLogin {
  /** The login module class: ScramLoginModule or PlainLoginModule. */
  readonly loginModule: string;
  readonly options: Readonly<Record<string, string>>;
}

const FLAGS = new Set(['required', 'requisite', 'sufficient', 'optional']);

export function parseJaasConfig(text: string): JaasLogin {
  const tokens = tokenize(text.trim());
  const [loginModule, flag, ...rest] = tokens;
  if (!loginModule || !/^[A-Za-z_$][\w$.]*$/.test(loginModule) || flag === '=') {
    throw new Error(
      'must start with a login module class, e.g. org.apache.kafka.common.security.scram.ScramLoginModule',
    );
  }
  if (!flag || !FLAGS.has(flag.toLowerCase()))
    throw new Error(`the login module must be followed by "required" (or requisite, sufficient, optional)`);
  if (rest[rest.length - 1] !== ';') throw new Error('must end with ";"');
  const options: Record<string, string> = {};
  for (let i = 0; i < rest.length - 1; i += 3) {
    const [key, eq, value] = [rest[i], rest[i + 1], rest[i + 2]];
    if (!key || eq !== '=' || value === undefined || value === ';' || value === '=') {
      throw new Error('options must be key="value" pairs, e.g. username="relay" password="..."');
    }
    options[key] = unquote(value);
  }
  return { loginModule, options };
}

/** The SASL mechanism a login module stands for, where it says ('' when it does not). */
export function mechanismOfModule(loginModule: string): 'plain' | 'scram' | '' {
  if (loginModule.endsWith('.PlainLoginModule') || loginModule === 'PlainLoginModule') return 'plain';
  if (loginModule.endsWith('.ScramLoginModule') || loginModule === 'ScramLoginModule') return 'scram';
  return '';
}

/** Words, "quoted strings" (kept with their quotes), "=" and ";". */
function tokenize(text: string): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (/\s/.test(c)) i++;
    else if (c === '=' || c === ';') {
      out.push(c);
      i++;
    } else if (c === '"') {
      let j = i + 1;
      while (j < text.length && text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      if (j >= text.length) throw new Error('a quoted value is not closed');
      out.push(text.slice(i, j + 1));
      i = j + 1;
    } else {
      let j = i;
      while (j < text.length && !/[\s=;"]/.test(text[j])) j++;
      out.push(text.slice(i, j));
      i = j;
    }
  }
  return out;
}

function unquote(token: string): string {
  if (!token.startsWith('"')) return token;
  return token.slice(1, -1).replace(/\\(.)/g, '$1');
}
