/**
 * Secrets never reach a log line or an API answer. Two tools: rewriting of anything that looks
 * like `user:password@` (a URL's credentials, well-formed or not), of secret-named query
 * options (`?ssl_key_password=`) and of a JAAS text's `password="..."` in free text, and a deep
 * copy that masks keys named like secrets.
 */
// The password runs to the host's last "@" (as the transport_url parser reads it), so an
// unencoded "@" inside it is masked whole.
const URL_CREDS = /([a-zA-Z][a-zA-Z0-9+.-]*:\/\/|,)([^:@/\s,"']*):([^/\s,"']*)@/g;
// The same without a well-formed "scheme://" before it: "rabbit//u:pw@h", "u:pw@h", "rabbit:/u:pw@h".
// The user starts after a space, quote, slash or bracket; "//" right after the colon is a scheme, not a password.
const BARE_CREDS = /(^|[\s"'(=</])([^\s:@/"',()<>=[\]]+):(?!\/\/)([^\s"',/]*)@/g;
// A password holding "/", "," or a space in free text, where the patterns below stop short of
// its "@" (tried first, so that one with "@" and "/" is not cut at its first "@"): from the user's colon to the first "@" on the line (and any "@"-ended run after it,
// as an unencoded "@" in the password); after "scheme://" a space may be crossed, after a
// "," (a further host) not. Digits right after the colon are a port ("h:5672/ ... user@x").
const SPREAD_CREDS =
  /([a-zA-Z][a-zA-Z0-9+.-]*:\/\/|,)([^:@/\s,"']*):(?!\*\*\*@|\/\/|\d{1,5}(?:[/\s,?]|$))((?<=\/\/[^:@/\s,"']*:)[^\n"'@]*@|[^\s"'@]*@)(?:[^\s@"',]*@)*/g;
// One value as a whole (a quoted string, a URL-named field): a password the patterns above stop
// at (a space, "/", "," or a quote in it) leaves "user:pa ss@"; from the user's colon to the last
// "@" is then masked.
const LEFT_OVER = /:(?!\/\/|\*\*\*@)[^@:]*@/;
const WHOLE_VALUE = /^(\s*(?:[a-zA-Z][a-zA-Z0-9+.-]*:?\/\/)?[^:@/\s]*):.*@/s;
// A double-quoted string (JSON's escapes included): how messages quote the input they refuse.
const QUOTED = /"((?:[^"\\\n]|\\.)*)"/g;
const SECRET_KEY = /pass(word)?|secret|token|authorization|credential|jaas/i;
const URL_KEY = /url/i;
// A URL's query option named like a secret (oslo's ssl_key_password): its value is masked.
const QUERY_SECRET = /([?&;][^=&#\s"'?]*(?:pass(?:word)?|secret|token|credential)[^=&#\s"'?]*=)([^&#\s"']+)/gi;
// A JAAS text (kafka.sasl.jaasConfig, a Strimzi Secret's sasl.jaas.config): password="...", the
// same inside a JSON string (password=\"...\"), or password=bare.
const JAAS_SECRET = /(\bpassword\s*=\s*)(\\"(?:[^\\]|\\(?!"))*(?:\\")?|"(?:[^"\\]|\\.)*"?|[^\s;"&\\]+)/gi;
const maskJaasValue = (_all: string, lead: string, value: string): string =>
  `${lead}${value.startsWith('\\"') ? `\\"${REDACTED}\\"` : value.startsWith('"') ? `"${REDACTED}"` : REDACTED}`;

export const REDACTED = '***';

function maskCredentials(text: string): string {
  return text
    .replace(SPREAD_CREDS, (_all, lead: string, user: string) => `${lead}${user}:${REDACTED}@`)
    .replace(URL_CREDS, (_all, lead: string, user: string) => `${lead}${user}:${REDACTED}@`)
    .replace(BARE_CREDS, (_all, lead: string, user: string) => `${lead}${user}:${REDACTED}@`);
}

/** One value given as a whole (a transport URL, well-formed or not): its credentials masked. */
export function redactValue(value: string): string {
  if (!value.includes('@')) return value;
  const out = maskCredentials(value);
  return LEFT_OVER.test(out) ? out.replace(WHOLE_VALUE, `$1:${REDACTED}@`) : out;
}

export function redactText(text: string, extraSecrets: readonly string[] = []): string {
  // Credentials need an "@": most texts have none and skip the patterns (they try a match at
  // every position, which made them the admin port's largest cost).
  let out = text;
  if (out.includes('@'))
    out = maskCredentials(
      out.replace(QUOTED, (all, inner: string) => (inner.includes('@') ? `"${redactValue(inner)}"` : all)),
    );
  if (out.includes('=')) {
    out = out.replace(QUERY_SECRET, `$1${REDACTED}`);
    if (/password\s*=/i.test(out)) out = out.replace(JAAS_SECRET, maskJaasValue);
  }
  for (const s of extraSecrets) if (s && s.length >= 3 && out.includes(s)) out = out.split(s).join(REDACTED);
  return out;
}

/** A deep copy with secret-named keys masked and credentials in URL strings redacted. */
export function redactDeep<T>(value: T, extraSecrets: readonly string[] = []): T {
  const walk = (v: unknown, key?: string): unknown => {
    if (typeof v === 'string') {
      if (key && SECRET_KEY.test(key) && v !== '') return REDACTED;
      return redactText(key && URL_KEY.test(key) ? redactValue(v) : v, extraSecrets);
    }
    if (Array.isArray(v)) return v.map((x) => walk(x));
    if (v && typeof v === 'object' && !(v instanceof Date) && !Buffer.isBuffer(v)) {
      const o: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v)) o[k] = walk(x, k);
      return o;
    }
    return v;
  };
  return walk(value) as T;
}
