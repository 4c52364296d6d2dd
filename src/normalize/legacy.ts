/**
 * Legacy payloads already are the VM message's instance keys: copy each with nova's legacy
 * convention for its type, so that a key a trimmed or older payload lacks gets what
 * `info_from_instance` would have sent ("" for its null-safe strings and dates, null otherwise).
 */
import {
  blankFields,
  CONVERTERS,
  VM_KEYS,
  type ConverterName,
  type JsonDict,
  type VmFields,
  type VmKey,
} from './vm-fields.js';

export const LEGACY_RULES: Readonly<Record<VmKey, ConverterName>> = {
  state_description: 'text', // null_safe_str(task_state)
  availability_zone: 'optionalString',
  terminated_at: 'legacyDate',
  ephemeral_gb: 'optionalInteger',
  instance_type_id: 'optionalInteger',
  deleted_at: 'legacyDate',
  reservation_id: 'optionalString',
  memory_mb: 'optionalInteger',
  display_name: 'optionalString',
  hostname: 'optionalString',
  state: 'optionalString',
  progress: 'progress',
  launched_at: 'legacyDate',
  metadata: 'optionalDict',
  node: 'optionalString',
  ramdisk_id: 'optionalString',
  access_ip_v6: 'optionalString',
  disk_gb: 'optionalInteger',
  access_ip_v4: 'optionalString',
  kernel_id: 'optionalString',
  host: 'optionalString',
  user_id: 'optionalString',
  image_ref_url: 'optionalString', // a glance URL, or the bare image id when nova had no endpoint
  cell_name: 'text', // null_safe_str(cell_name)
  root_gb: 'optionalInteger',
  tenant_id: 'optionalString',
  created_at: 'legacyDate', // str(created_at)
  instance_id: 'instanceId',
  instance_type: 'text', // flavor.get('name', '')
  vcpus: 'optionalInteger',
  image_meta: 'optionalDict',
  architecture: 'optionalString',
  os_type: 'optionalString',
  instance_flavor_id: 'text', // flavor.get('flavorid', '')
};

/** The table resolved once: key, converter, and the name an error gives. */
const STEPS = VM_KEYS.map((key) => ({ key, convert: CONVERTERS[LEGACY_RULES[key]], label: `payload.${key}` }));

export function fromLegacy(payload: JsonDict): VmFields {
  const out = blankFields();
  for (const { key, convert, label } of STEPS) out[key] = convert(payload[key], label);
  return out as VmFields;
}
