/**
 * amqps:// with oslo's ssl_ca_file / ssl_cert_file / ssl_key_file against a TLS peer on
 * 127.0.0.1, with a throwaway CA made by openssl for this run.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { applyVimDefaults } from '../../../../src/config/vim.js';
import { uniqueName } from '../../../helpers/amqp.js';
import { waitFor } from '../../../helpers/wait.js';
import { Harness, collect } from './support.js';
import { startPeer, type Peer } from './peer.js';

const dir = mkdtempSync(join(tmpdir(), 'relay-amqp10-tls-'));
const path = (f: string) => join(dir, f);
const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });

function makeCa(name: string): void {
  openssl(
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    `${name}.key`,
    '-out',
    `${name}.pem`,
    '-days',
    '2',
    '-subj',
    `/CN=${name}`,
  );
}

beforeAll(() => {
  makeCa('ca');
  makeCa('other-ca');
  writeFileSync(path('san.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  openssl(
    'req',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    'server.key',
    '-out',
    'server.csr',
    '-subj',
    '/CN=localhost',
  );
  openssl(
    'x509',
    '-req',
    '-in',
    'server.csr',
    '-CA',
    'ca.pem',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-out',
    'server.pem',
    '-days',
    '2',
    '-extfile',
    'san.ext',
  );
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const h = new Harness();
let peer: Peer;
beforeEach(async () => {
  peer = await startPeer({ key: readFileSync(path('server.key')), cert: readFileSync(path('server.pem')) });
});
afterEach(async () => {
  await h.dispose();
  await peer.close();
});

function tlsVim(caFile: string) {
  const url = `amqps://relay:relay-pw@127.0.0.1:${peer.port}/?ssl_ca_file=${encodeURIComponent(caFile)}`;
  return applyVimDefaults({
    id: uniqueName('vim'),
    transportUrl: url,
    topics: ['notifications'],
    priorities: ['info'],
  });
}

describe('amqps:// (TLS)', () => {
  it('connects when ssl_ca_file holds the CA that signed the broker certificate', async () => {
    const listener = h.listener(tlsVim(path('ca.pem')));
    await collect(listener);
    expect(listener.status.status).toBe('REACHABLE');
    expect(peer.logins).toEqual(['relay']);
  });

  it('refuses a broker certificate from another CA: UNREACHABLE with the TLS reason', async () => {
    const listener = h.listener(tlsVim(path('other-ca.pem')));
    await listener.start(() => undefined);
    await waitFor(() => listener.status.status === 'UNREACHABLE', 'UNREACHABLE');
    expect(listener.status.reason).toMatch(/certificate/i);
    expect(peer.logins).toEqual([]);
  });

  it('reports an unreadable ssl_ca_file as the reason', async () => {
    const listener = h.listener(tlsVim(path('missing.pem')));
    await listener.start(() => undefined);
    await waitFor(() => listener.status.status === 'UNREACHABLE', 'UNREACHABLE');
    // Word for word what the 0-9-1 transport says (test/integration/transport/amqp091/failover.test.ts).
    expect(listener.status.reason).toBe(
      `ssl_ca_file "${path('missing.pem')}" from the transport_url cannot be read (ENOENT); fix the path or the file's permissions`,
    );
  });
});
