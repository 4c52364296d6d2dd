#!/usr/bin/env node
// The image's HEALTHCHECK: GET the relay's /healthz (or the URL given as the argument) and exit 0
// on a 2xx, 1 on anything else. Node itself does it, since the slim image has no curl or wget.
// The admin port follows VIM_EVENT_RELAY_ADMIN_PORT, as the relay's does; loopback works because
// the container's admin.host is 0.0.0.0.
const port = process.env.VIM_EVENT_RELAY_ADMIN_PORT || '8080';
const url = process.argv[2] ?? `http://127.0.0.1:${port}/healthz`;
try {
  // Below Docker's --timeout, so a hung relay is reported by this line rather than a kill.
  const res = await fetch(url, { signal: AbortSignal.timeout(2500) });
  if (!res.ok) {
    console.error(`healthcheck: ${url} answered HTTP ${res.status}`);
    process.exit(1);
  }
} catch (e) {
  console.error(`healthcheck: ${url} did not answer (${e.cause?.code ?? e.name ?? e.message})`);
  process.exit(1);
}
