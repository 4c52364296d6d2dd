/**
 * Test fixtures: loading, nova's `$ref` expansion, and wrapping samples the way
 * oslo.messaging puts them on the wire. Tests read only test/fixtures.
 */
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

/** test/fixtures of the project this file belongs to, found from here whether run as TypeScript (tests) or compiled (bench). */
function findFixtures(): string {
  for (let dir = dirname(fileURLToPath(import.meta.url)); ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'test', 'fixtures')))
      return join(dir, 'test', 'fixtures');
    if (dirname(dir) === dir) throw new Error(`no test/fixtures in any folder above ${fileURLToPath(import.meta.url)}`);
  }
}

export const FIXTURES_DIR: string = findFixtures();

const VERSIONED_DIR = join(FIXTURES_DIR, 'nova-versioned');
const LEGACY_DIR = join(FIXTURES_DIR, 'nova-legacy');

export interface Sample {
  event_type: string;
  priority?: string;
  publisher_id: string;
  payload: any;
  message_id?: string;
  timestamp?: string;
  [k: string]: unknown;
}

export interface WireOptions {
  messageId?: string;
  timestamp?: Date;
}

/** amqplib publish options exactly as oslo's rabbit driver sets them (oslo-wire/README.md). */
export const OSLO_PUBLISH_OPTIONS = {
  contentType: 'application/json',
  contentEncoding: 'utf-8',
  deliveryMode: 2,
  priority: 0,
} as const;

export function loadJson(rel: string): any {
  return readJsonFile(join(FIXTURES_DIR, rel));
}

function readJsonFile(file: string): any {
  return JSON.parse(readFileSync(file, 'utf8'));
}

function isPlainObject(v: unknown): v is Record<string, any> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** nova/tests/json_ref.py `_update_dict_recursively`: objects merge, anything else replaces (lists whole). */
function deepMerge(target: Record<string, any>, overrides: Record<string, any>): void {
  for (const [k, v] of Object.entries(overrides)) {
    if (isPlainObject(target[k]) && isPlainObject(v)) deepMerge(target[k], v);
    else target[k] = v;
  }
}

function resolveRefs(node: unknown, base: string): any {
  if (Array.isArray(node)) return node.map((x) => resolveRefs(x, base));
  if (!isPlainObject(node)) return node;
  if (!('$ref' in node)) {
    return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, resolveRefs(v, base)]));
  }
  const [path, fragment] = String(node['$ref']).split('#');
  if (fragment) throw new Error(`$ref fragment not supported (as in nova's json_ref): ${node['$ref']}`);
  const file = join(base, path ?? '');
  const target = resolveRefs(readJsonFile(file), dirname(file));
  const { $ref: _ref, ...rest } = node;
  deepMerge(target, resolveRefs(rest, base));
  return target;
}

export function expandVersioned(file: string): Sample {
  const path = join(VERSIONED_DIR, file);
  return resolveRefs(readJsonFile(path), dirname(path)) as Sample;
}

export function listVersionedSamples(): string[] {
  return readdirSync(VERSIONED_DIR)
    .filter((f) => f.endsWith('.json') && statSync(join(VERSIONED_DIR, f)).isFile())
    .sort();
}

function walkJson(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) return walkJson(p);
    return name.endsWith('.json') ? [p] : [];
  });
}

export function listLegacySamples(): string[] {
  return walkJson(LEGACY_DIR)
    .map((p) => relative(LEGACY_DIR, p).split('\\').join('/'))
    .sort();
}

/** A nova-legacy file as a flat sample: listener/trimmed `metadata` hoisted, `ctxt` kept for toWireV1. */
export function legacySample(rel: string): Sample {
  const raw = readJsonFile(join(LEGACY_DIR, rel)) as Record<string, any>;
  const { metadata, ...rest } = raw;
  const sample: Sample = { ...(rest as Sample) };
  if (isPlainObject(metadata)) {
    if (typeof metadata.message_id === 'string') sample.message_id = metadata.message_id;
    if (typeof metadata.timestamp === 'string') sample.timestamp = metadata.timestamp;
  }
  return sample;
}

const pad = (n: number, w = 2): string => String(n).padStart(w, '0');

/** Python's `str(datetime.utcnow())`: microseconds are omitted entirely when zero. */
export function osloTimestamp(d: Date): string {
  const base =
    `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ` +
    `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
  const ms = d.getUTCMilliseconds();
  return ms === 0 ? base : `${base}.${pad(ms * 1000, 6)}`;
}

function defaultContext(sample: Sample): Record<string, unknown> {
  const data = sample.payload?.['nova_object.data'] ?? sample.payload ?? {};
  const userId = typeof data.user_id === 'string' ? data.user_id : 'e3c29b62179273c8eb5bb682575ec87a';
  const projectId = typeof data.tenant_id === 'string' ? data.tenant_id : '7432d1026706d7e805da846a32c3bb81';
  return {
    user_id: userId,
    project_id: projectId,
    request_id: `req-${randomUUID()}`,
    is_admin: false,
    roles: ['member', 'reader'],
    global_request_id: null,
    user_name: 'demo',
    project_name: 'demo',
  };
}

function contextOf(sample: Sample): Record<string, unknown> {
  if (isPlainObject(sample.ctxt)) return sample.ctxt;
  const packed = Object.entries(sample).filter(([k]) => k.startsWith('_context_'));
  if (packed.length > 0) return Object.fromEntries(packed.map(([k, v]) => [k.slice('_context_'.length), v]));
  return defaultContext(sample);
}

/** What `Notifier._notify` builds, before the driver adds anything. */
function notifierMessage(sample: Sample, opts: WireOptions): Record<string, unknown> {
  return {
    message_id: opts.messageId ?? sample.message_id ?? randomUUID(),
    publisher_id: sample.publisher_id,
    event_type: sample.event_type,
    priority: (sample.priority ?? 'INFO').toUpperCase(),
    payload: sample.payload,
    timestamp: opts.timestamp ? osloTimestamp(opts.timestamp) : (sample.timestamp ?? osloTimestamp(new Date())),
  };
}

/** The flat body of oslo's rabbit driver with driver `messaging` (1.0): amqpdriver adds `_unique_id` and `pack_context`. */
export function toWireV1(sample: Sample, opts: WireOptions = {}): Record<string, unknown> {
  const body: Record<string, unknown> = notifierMessage(sample, opts);
  body._unique_id = typeof sample._unique_id === 'string' ? sample._unique_id : randomUUID().replace(/-/g, '');
  for (const [k, v] of Object.entries(contextOf(sample))) body[`_context_${k}`] = v;
  return body;
}

/** Driver `messagingv2` (what nova uses): common.serialize_msg around the v1 body. */
export function toWireV2(sample: Sample, opts: WireOptions = {}): Record<string, unknown> {
  return { 'oslo.version': '2.0', 'oslo.message': JSON.stringify(toWireV1(sample, opts)) };
}

/**
 * The AMQP 1.0 driver (impl_amqp1 `marshal_request`): `{"request", "context"}`. Unlike the
 * rabbit driver it neither adds `_unique_id` nor flattens the context into `_context_*`;
 * the context travels as its own dict.
 */
export function toAmqp1Body(sample: Sample, opts: WireOptions = {}): Record<string, unknown> {
  return {
    request: { 'oslo.version': '2.0', 'oslo.message': JSON.stringify(notifierMessage(sample, opts)) },
    context: contextOf(sample),
  };
}

export function routingKeyFor(sample: Sample): string {
  const versioned = isPlainObject(sample.payload) && 'nova_object.data' in sample.payload;
  const priority = (sample.priority ?? 'INFO').toLowerCase();
  return `${versioned ? 'versioned_notifications' : 'notifications'}.${priority}`;
}

/** The versioned `instance.power_off.end` sample as nova's messagingv2 puts it on the wire: the tests' usual notification. */
export function powerOffV2(messageId: string): Record<string, unknown> {
  return toWireV2(expandVersioned('instance-power_off-end.json'), { messageId });
}

/** Serialised messages as a batch holds them: each with its UTF-8 length. */
export function sized(jsons: readonly string[]): { json: string; bytes: number }[] {
  return jsons.map((json) => ({ json, bytes: Buffer.byteLength(json) }));
}
