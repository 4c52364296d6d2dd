#!/usr/bin/env node
// The image's HEALTHCHECK: GET the relay's /healthz (or the URL given as the argument) and exit 0
// on a 2xx, 1 on anything else. Node itself does it, since the slim image has no curl or wget.
// The admin port follows VIM_EVENT_RELAY_ADMIN_PORT, as the relay's does; loopback works because
// the container's admin.host is 0.0.0.0. With TLS on the admin port (VIM_EVENT_RELAY_ADMIN_TLS_CERT_FILE)
// it asks over HTTPS without checking the certificate: the certificate names the Service, not
// 127.0.0.1, and this only asks whether the process answers (/healthz needs no client certificate).
import http from 'node:http';
import https from 'node:https';

const port = process.env.VIM_EVENT_RELAY_ADMIN_PORT || '8080';
const scheme = process.env.VIM_EVENT_RELAY_ADMIN_TLS_CERT_FILE ? 'https' : 'http';
const url = process.argv[2] ?? `${scheme}://127.0.0.1:${port}/healthz`;

function get(target) {
  const client = target.startsWith('https:') ? https : http;
  return new Promise((resolve, reject) => {
    // Below Docker's --timeout, so a hung relay is reported by this line rather than a kill.
    const req = client.get(target, { rejectUnauthorized: false, timeout: 2500 }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('timeout', () => req.destroy(Object.assign(new Error('timeout'), { name: 'TimeoutError' })));
    req.on('error', reject);
  });
}

try {
  const status = await get(url);
  if (status < 200 || status > 299) {
    console.error(`healthcheck: ${url} answered HTTP ${status}`);
    process.exit(1);
  }
} catch (e) {
  console.error(`healthcheck: ${url} did not answer (${e.name === 'TimeoutError' ? 'TimeoutError' : (e.code ?? e.name ?? e.message)})`);
  process.exit(1);
}
