/**
 * The project stands alone: a clone has no team working papers, so nothing shipped may send a
 * reader to them (the contract, the Message Router notes, the shared folder). What they said is
 * in the README and docs/ (docs/message-router.md for Message Router).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { ROOT } from '../../helpers/daemon.js';

// Built from parts so that this file does not match itself.
const CITATION = new RegExp(['CONT' + 'RACT', 'DMAAP' + '\\.md', '\\.\\./' + 'shared'].join('|'));
const SHARED_DIR = ['', 'work', 'shared'].join('/');
const SHIPPED = ['README.md', 'docs', 'src', 'schemas', 'config', 'scripts'];

function files(rel: string): string[] {
  const abs = path.join(ROOT, rel);
  if (statSync(abs).isFile()) return [rel];
  return readdirSync(abs).flatMap((name) => files(path.join(rel, name)));
}

function citing(rels: readonly string[], pattern: RegExp): string[] {
  return rels.flatMap((rel) =>
    readFileSync(path.join(ROOT, rel), 'utf8')
      .split('\n')
      .flatMap((line, i) => (pattern.test(line) ? [`${rel}:${i + 1}: ${line.trim()}`] : [])),
  );
}

describe('the project stands alone', () => {
  const shipped = SHIPPED.flatMap(files);

  it('no shipped file cites the team papers', () => {
    expect(shipped.length).toBeGreaterThan(100);
    expect(citing(shipped, CITATION)).toEqual([]);
  });

  it('no test reads the shared folder at run time', () => {
    expect(citing(files('test'), new RegExp(SHARED_DIR))).toEqual([]);
  });

  it('docs/message-router.md says what Message Router does, and the README links it', () => {
    const page = readFileSync(path.join(ROOT, 'docs/message-router.md'), 'utf8');
    for (const topic of [
      'POST /events/{topic}',
      'Successfully published number of messages',
      'GET /events/{topic}/{consumerGroup}/{consumerId}',
      'POST /topics/create',
      'Basic',
    ]) {
      expect(page).toContain(topic);
    }
    expect(readFileSync(path.join(ROOT, 'README.md'), 'utf8')).toContain('(docs/message-router.md)');
  });
});
