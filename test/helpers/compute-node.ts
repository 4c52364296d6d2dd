/**
 * Compute-node notifications for tests. nova never emitted compute_node.*, so there is no real
 * sample of the spec's form: specSample builds one exactly as nova-specs newton
 * hypervisor-notification.rst defines it (versioned, INFO, ComputeNodePayload /
 * ComputeNodeDeletePayload). The derived forms come from the real fixtures.
 */
import { expandVersioned, loadJson, type Sample } from './fixtures.js';

/** A ComputeNodePayload's data: the spec's 18 fields, values as the fake-mini node of nova's samples would have them. */
export const SPEC_NODE = {
  id: 1,
  uuid: 'f7a6f0d3-2c4b-4a43-9b1e-6cbe0a6a1f55',
  host: 'compute',
  vcpus: 8,
  memory_mb: 16384,
  local_gb: 100,
  vcpus_used: 2,
  memory_mb_used: 2560,
  local_gb_used: 20,
  hypervisor_type: 'QEMU',
  hypervisor_version: 2011000,
  hypervisor_hostname: 'fake-mini',
  free_ram_mb: 13824,
  free_disk_gb: 80,
  current_workload: 0,
  running_vms: 2,
  disk_available_least: 75,
  host_ip: '10.0.2.15',
} as const;

export type SpecNode = {
  -readonly [K in keyof typeof SPEC_NODE]: (typeof SPEC_NODE)[K] extends number ? number | null : string | null;
};

/** compute_node.create|update|delete in the spec's versioned form. */
export function specSample(
  eventType: 'compute_node.create' | 'compute_node.update' | 'compute_node.delete',
  data: Partial<SpecNode>,
): Sample {
  return {
    event_type: eventType,
    priority: 'INFO',
    publisher_id: `nova-compute:${String(data.host ?? SPEC_NODE.host)}`,
    payload: {
      'nova_object.name': eventType === 'compute_node.delete' ? 'ComputeNodeDeletePayload' : 'ComputeNodePayload',
      'nova_object.namespace': 'nova',
      'nova_object.version': '1.0',
      'nova_object.data': data,
    },
  };
}

/** nova's service.create / service.delete sample (binary nova-compute), for the given host. */
export function serviceSample(file: 'service-create.json' | 'service-delete.json', host: string): Sample {
  const s = expandVersioned(file);
  s.payload['nova_object.data'].host = host;
  s.publisher_id = `nova-compute:${host}`;
  return s;
}

/** nova's versioned metrics.update sample (host compute, nodename fake-mini, host_ip 10.0.2.15), optionally changed. */
export function versionedMetrics(change: { host?: string; nodename?: string; host_ip?: string } = {}): Sample {
  const s = loadJson('compute-node/nova-versioned-metrics.update.json') as Sample;
  Object.assign(s.payload['nova_object.data'], change);
  return s;
}

/** ceilometer's capture of the legacy compute.metrics.update, optionally changed (it says host_id for host_ip). */
export function legacyMetrics(change: { host?: string; nodename?: string; host_ip?: string } = {}): Sample {
  const { metadata, ...rest } = loadJson('compute-node/ceilometer-compute.metrics.update.listener.json') as Sample & {
    metadata: Record<string, string>;
  };
  return {
    ...rest,
    message_id: metadata.message_id,
    timestamp: metadata.timestamp,
    payload: { ...rest.payload, ...change },
  };
}
