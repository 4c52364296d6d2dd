import { Ajv2020 } from 'ajv/dist/2020.js';
import { INSTANCE_STATES } from '../../../src/model/subscription.js';
import { VM_KEYS } from '../../../src/normalize/vm-fields.js';
import { ENVELOPE_KEYS } from '../../../src/normalize/vm-message.js';
import { VM_SCHEMA as schema } from './vm-schema.js';

/** The README's list ("VM message"), verbatim. */
const README_VM_KEYS = `state_description, availability_zone, terminated_at, ephemeral_gb, instance_type_id,
deleted_at, reservation_id, memory_mb, display_name, hostname, state, progress,
launched_at, metadata, node, ramdisk_id, access_ip_v6, disk_gb, access_ip_v4, kernel_id,
host, user_id, image_ref_url, cell_name, root_gb, tenant_id, created_at, instance_id,
instance_type, vcpus, image_meta, architecture, os_type, instance_flavor_id`.split(/,\s*/);
const README_ENVELOPE = ['vim_id', 'event', 'event_type', 'message_id', 'timestamp', 'publisher_id'];

describe('vm-message.schema.json', () => {
  it('is a valid draft 2020-12 schema', () => {
    const ajv = new Ajv2020({ strict: true });
    expect(() => ajv.compile(schema)).not.toThrow();
  });

  it("requires exactly the contract keys and allows no others but the ERROR messages' fault", () => {
    expect(README_VM_KEYS).toHaveLength(34);
    expect([...schema.required].sort()).toEqual([...README_VM_KEYS, ...README_ENVELOPE].sort());
    expect(Object.keys(schema.properties).sort()).toEqual([...schema.required, 'fault'].sort());
    expect(schema.additionalProperties).toBe(false);
  });

  it('agrees with the code: VM_KEYS, ENVELOPE_KEYS and the event vocabulary', () => {
    expect(VM_KEYS).toEqual(README_VM_KEYS);
    expect(ENVELOPE_KEYS).toEqual(README_ENVELOPE);
    expect(schema.properties.event.enum).toEqual([...INSTANCE_STATES]);
  });
});
