/** The README's first screen works as written, its links land, and the examples look like real answers. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ROOT } from '../../helpers/daemon.js';
import { createSchemaAjv } from '../../../src/util/schemas.js';

const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
const firstScreen = readme.slice(0, readme.indexOf('\n---\n'));

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens. */
function slug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\w\- ]/g, '')
    .replace(/ /g, '-');
}

describe('README', () => {
  it('says on its first screen what npm test needs', () => {
    expect(firstScreen).toContain('rabbitmq-plugins enable\nrabbitmq_amqp1_0');
    expect(firstScreen).toContain('PostgreSQL');
  });

  it('publishes the demo before consuming it (a topic nothing was published to is a 404)', () => {
    const demo = firstScreen.indexOf('npm run demo:notify');
    const consume = firstScreen.indexOf("curl -s 'http://127.0.0.1:3904/events/");
    expect(demo).toBeGreaterThan(0);
    expect(consume).toBeGreaterThan(demo);
  });

  it('links only to headings that exist', () => {
    const anchors = new Set([...readme.matchAll(/^#{2,4} (.+)$/gm)].map((m) => slug(m[1])));
    const links = [...readme.matchAll(/\]\(#([^)]+)\)/g)].map((m) => m[1]);
    expect(links).toContain('dmaap-dev');
    expect(links.filter((l) => !anchors.has(l))).toEqual([]);
  });

  it('documents dmaap-dev: publish, the long-poll consume, /topics and /topics/create', () => {
    const section = readme.slice(readme.indexOf('## dmaap-dev'), readme.indexOf('## Performance'));
    for (const call of [
      '`POST /events/{topic}`',
      '`GET /events/{topic}/{consumerGroup}/{consumerId}?timeout=ms&limit=n`',
      '`GET /topics`',
      '`POST /topics/create`',
      'No such topic',
    ]) {
      expect(section).toContain(call);
    }
  });

  it('says which Node.js versions are supported, agreeing with package.json and the Dockerfile', () => {
    const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { engines: { node: string } };
    const dockerfile = readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8');
    const section = readme.slice(readme.indexOf('## Node.js versions'), readme.indexOf('## Development'));
    expect(section).toContain(`\`engines\` is \`${pkg.engines.node}\``);
    const base = /^FROM (node:\S+)$/m.exec(dockerfile)![1];
    expect(section).toContain(`\`${base}\``);
    expect(base).toMatch(/^node:(22|24)-/); // a maintained LTS, not Node 20 (end of life April 2026)
  });
});

describe('docs/admin-api.md', () => {
  it('shows a check_vim_status answer of the real form', () => {
    const doc = readFileSync(path.join(ROOT, 'docs/admin-api.md'), 'utf8');
    const section = doc.slice(doc.indexOf('## check_vim_status'));
    const example = JSON.parse(/```json\n([\s\S]+?)```/.exec(section)![1]) as Record<string, unknown>[];
    const validate = createSchemaAjv().getSchema('check-vim-status.schema.json#/$defs/stateChange')!;
    expect(example.length).toBeGreaterThan(0);
    for (const change of example) {
      expect(validate(change)).toBe(true);
      expect(Object.keys(change).sort()).toEqual([
        'display_name',
        'event',
        'instance_id',
        'launched_at',
        'state',
        'state_description',
        'timestamp',
      ]);
      // nova's strtime form, as the relay passes it on: no zone suffix, microseconds.
      expect(change.launched_at).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}$/);
      expect(change.timestamp).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/);
    }
  });
});
