/** Transport URLs, nearly all malformed, each holding the password PW: for redaction tests. */
export const PW = 'Secret9x';

/** Malformed (and a few well-formed) transport URLs, each holding the password PW. */
export const URLS_WITH_PASSWORD: readonly string[] = [
  `rabbit//guest:${PW}@h:5672/`,
  `guest:${PW}@h:5672/`,
  `rabbit:/guest:${PW}@h/`,
  `rabbit://guest:Sec ret${PW}@h:5672/`,
  `rabbit://guest:${PW} x@h:5672/`,
  `rabbit://guest:a/${PW}@h/`,
  `rabbit://guest:a,${PW}@h/`,
  `rabbit://guest:a"${PW}@h/`,
  `rabbit://guest:a'${PW}@h/`,
  `rabbit://user:${PW}@@@:::/`,
  `rabbit://guest:${PW}@h:99999/`,
  `http://guest:${PW}@h/`,
  ` rabbit://guest:${PW}@h/`,
  `rabbit://u:${PW}@h1:5672,u2:${PW}@h2:0/`,
  `rabbit://guest:${PW}@h/%zz`,
  `rabbit://guest:${PW}@[::1/`,
  // An unencoded ",", "/", "?" or "#" cuts the password where the host part is split: the piece
  // before it (PW here) then stands where a host or port is read, and must not be quoted either.
  `rabbit://nova:${PW},x@nova:5672/`,
  `rabbit://nova:${PW}/x@nova:5672/`,
  `rabbit://nova:${PW}?x@nova:5672/`,
  `rabbit://nova:${PW}#x@nova:5672/`,
  `rabbit://u:p@h1:5672,nova:${PW},x@h2/`,
  `rabbit://nova:x,${PW}@nova/`,
  `rabbit://nova:5672/${PW}@nova/`,
  `rabbit://nova:5672?${PW}@nova/`,
  `rabbit://nova:x/${PW} y@nova/`,
];
