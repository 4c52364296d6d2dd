/**
 * Secrets never reach a log line or an API answer. Two tools: rewriting of any
 * `scheme://user:pass@`, of secret-named query options (`?ssl_key_password=`) and of a JAAS
 * text's `password="..."` in free text,
 * and a deep copy that masks keys named like secrets.
 */
// The password runs to the host's last "@" (as the transport_url parser reads it), so an
// unencoded "@" inside it is masked whole.
const URL_CREDS = /([a-zA-Z][a-zA-Z0-9+.-]*:\/\/|,)([^:@/\s,"']*):([^/\s,"']*)@/g;
const SECRET_KEY = /pass(word)?|secret|token|authorization|credential|jaas/i;
// A URL's query option named like a secret (oslo's ssl_key_password): its value is masked.
const QUERY_SECRET = /([?&;][^=&#\s"'?]*(?:pass(?:word)?|secret|token|credential)[^=&#\s"'?]*=)([^&#\s"']+)/gi;
// A JAAS text (kafka.sasl.jaasConfig, a Strimzi Secret's sasl.jaas.config): password="...", the
// same inside a JSON string (password=\"...\"), or password=bare.
const JAAS_SECRET = /(\bpassword\s*=\s*)(\\"(?:[^\\]|\\(?!"))*(?:\\")?|"(?:[^"\\]|\\.)*"?|[^\s;"&\\]+)/gi;
const maskJaasValue = (_all: string, lead: string, value: string): string =>
  `${lead}${value.startsWith('\\"') ? `\\"${REDACTED}\\"` : value.startsWith('"') ? `"${REDACTED}"` : REDACTED}`;

export const REDACTED = '***';

export function redactText(text: string, extraSecrets: readonly string[] = []): string {
  // Credentials in a URL need an "@": most texts have none and skip the regex (it tries a match at
  // every letter and comma, which made it the admin port's largest cost).
  let out = text.includes('@') ? text.replace(URL_CREDS, (_all, lead: string, user: string) => `${lead}${user}:${REDACTED}@`) : text;
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
      return redactText(v, extraSecrets);
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
