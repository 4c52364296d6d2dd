/** Reads deploy/systemd/vim-event-relay.service as systemd does: sections, repeated keys, comments. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ROOT } from './daemon.js';

export const UNIT_FILE = path.join(ROOT, 'deploy/systemd/vim-event-relay.service');
export const unitText = (): string => readFileSync(UNIT_FILE, 'utf8');

/** section -> key -> every value, in order (systemd keys such as Environment= repeat). */
export function parseUnit(text: string): Map<string, Map<string, string[]>> {
  const sections = new Map<string, Map<string, string[]>>();
  let current: Map<string, string[]> | undefined;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#') || line.startsWith(';')) continue;
    const header = /^\[(.+)\]$/.exec(line);
    if (header) {
      current = new Map();
      sections.set(header[1], current);
      continue;
    }
    const eq = line.indexOf('=');
    if (!current || eq < 0) throw new Error(`unit file: cannot read line "${line}"`);
    const key = line.slice(0, eq);
    current.set(key, [...(current.get(key) ?? []), line.slice(eq + 1)]);
  }
  return sections;
}

/** The [Service] section's Environment= lines as a map. */
export function unitEnvironment(service: Map<string, string[]>): Record<string, string> {
  return Object.fromEntries(
    (service.get('Environment') ?? []).map((e) => {
      const i = e.indexOf('=');
      return [e.slice(0, i), e.slice(i + 1)];
    }),
  );
}
