/**
 * Versioned instance payloads (InstancePayload and its subclasses) onto the legacy keys.
 * `from` is a dotted path through nested nova_objects (`flavor.name` is
 * payload.nova_object.data.flavor.nova_object.data.name); `value` is used where the
 * versioned payload has no counterpart, as the value legacy nova would have had for "unknown".
 */
import { RelayError } from '../errors.js';
import {
  blankFields,
  CONVERTERS,
  isDict,
  VM_KEYS,
  type ConverterName,
  type JsonDict,
  type VmFields,
  type VmKey,
} from './vm-fields.js';

export type VersionedRule =
  | { readonly from: string; readonly as: ConverterName }
  | { readonly sum: readonly string[] }
  | { readonly value: null | '' };

export const VERSIONED_RULES: Readonly<Record<VmKey, VersionedRule>> = {
  state_description: { from: 'task_state', as: 'text' },
  availability_zone: { from: 'availability_zone', as: 'optionalString' },
  terminated_at: { from: 'terminated_at', as: 'strtimeDate' },
  ephemeral_gb: { from: 'flavor.ephemeral_gb', as: 'optionalInteger' },
  instance_type_id: { value: null }, // the flavor's database id; FlavorPayload does not carry it
  deleted_at: { from: 'deleted_at', as: 'strtimeDate' },
  reservation_id: { from: 'reservation_id', as: 'optionalString' },
  memory_mb: { from: 'flavor.memory_mb', as: 'optionalInteger' },
  display_name: { from: 'display_name', as: 'optionalString' },
  hostname: { from: 'host_name', as: 'optionalString' },
  state: { from: 'state', as: 'optionalString' },
  progress: { from: 'progress', as: 'progress' },
  launched_at: { from: 'launched_at', as: 'strtimeDate' },
  metadata: { from: 'metadata', as: 'optionalDict' },
  node: { from: 'node', as: 'optionalString' },
  ramdisk_id: { from: 'ramdisk_id', as: 'optionalString' },
  access_ip_v6: { value: null }, // not in InstancePayload
  disk_gb: { sum: ['flavor.root_gb', 'flavor.ephemeral_gb'] }, // as info_from_instance computes it
  access_ip_v4: { value: null }, // not in InstancePayload
  kernel_id: { from: 'kernel_id', as: 'optionalString' },
  host: { from: 'host', as: 'optionalString' },
  user_id: { from: 'user_id', as: 'optionalString' },
  image_ref_url: { from: 'image_uuid', as: 'imageRef' }, // nova's own fallback: the bare image id
  cell_name: { value: '' }, // cells v1 is gone; null_safe_str(None)
  root_gb: { from: 'flavor.root_gb', as: 'optionalInteger' },
  tenant_id: { from: 'tenant_id', as: 'optionalString' },
  created_at: { from: 'created_at', as: 'pythonStrDate' },
  instance_id: { from: 'uuid', as: 'instanceId' },
  instance_type: { from: 'flavor.name', as: 'text' },
  vcpus: { from: 'flavor.vcpus', as: 'optionalInteger' },
  image_meta: { value: null }, // built from system_metadata in legacy nova; not in InstancePayload
  architecture: { from: 'architecture', as: 'optionalString' },
  os_type: { from: 'os_type', as: 'optionalString' },
  instance_flavor_id: { from: 'flavor.flavorid', as: 'text' },
};

const dataOf = (v: unknown): unknown => (isDict(v) && isDict(v['nova_object.data']) ? v['nova_object.data'] : v);

export function valueAt(data: JsonDict, path: string): unknown {
  return valueAtPath(data, path.split('.'));
}

function valueAtPath(data: JsonDict, segments: readonly string[]): unknown {
  let current: unknown = data;
  for (const segment of segments) {
    const obj = dataOf(current);
    if (!isDict(obj) || !Object.hasOwn(obj, segment)) return undefined;
    current = obj[segment];
  }
  return current;
}

type Getter = (data: JsonDict) => VmFields[VmKey];

/** A rule resolved once (paths split, converter looked up, error names built), not per message. */
function compile(rule: VersionedRule): Getter {
  if ('value' in rule) return () => rule.value;
  if ('sum' in rule) {
    const parts = rule.sum.map((p) => ({ segments: p.split('.'), label: `payload.${p}` }));
    return (data) => {
      let total: number | null = 0;
      // Every part is converted (a bad one is UNMAPPABLE) before the sum is known.
      for (const { segments, label } of parts) {
        const n = CONVERTERS.optionalInteger(valueAtPath(data, segments), label);
        total = typeof n === 'number' && total !== null ? total + n : null;
      }
      return total;
    };
  }
  const convert = CONVERTERS[rule.as];
  const segments = rule.from.split('.');
  const label = `payload.${rule.from}`;
  return (data) => convert(valueAtPath(data, segments), label);
}

const STEPS = VM_KEYS.map((key) => ({ key, get: compile(VERSIONED_RULES[key]) }));

const INSTANCE_PAYLOAD = /^Instance\w*Payload$/;

/** Instance*Payload is every versioned payload that describes one instance (action, update, create, exists, ...). */
export function fromVersioned(payload: JsonDict): VmFields {
  const name = payload['nova_object.name'];
  const data = payload['nova_object.data'];
  if (typeof name !== 'string' || !INSTANCE_PAYLOAD.test(name) || !isDict(data)) {
    throw new RelayError(
      'UNMAPPABLE',
      `payload ${JSON.stringify(name ?? null)} is not an instance payload (Instance*Payload).`,
    );
  }
  const out = blankFields();
  for (const { key, get } of STEPS) out[key] = get(data);
  return out as VmFields;
}
