/**
 * The 34 instance keys of the VM message (README "Published messages"), with the type each has in
 * nova's legacy payload (`nova/notifications/base.py` `info_from_instance`), and the value
 * converters shared by the legacy and the versioned mapping tables.
 */
import { isPlainObject } from '../util/json.js';
import { RelayError } from '../errors.js';
import { toIsoUtc, toLegacyDate } from '../notifications/time.js';

export type JsonDict = Record<string, unknown>;

export interface VmFields {
  state_description: string;
  availability_zone: string | null;
  terminated_at: string;
  ephemeral_gb: number | null;
  instance_type_id: number | null;
  deleted_at: string;
  reservation_id: string | null;
  memory_mb: number | null;
  display_name: string | null;
  hostname: string | null;
  state: string | null;
  progress: number | '';
  launched_at: string;
  metadata: JsonDict | null;
  node: string | null;
  ramdisk_id: string | null;
  access_ip_v6: string | null;
  disk_gb: number | null;
  access_ip_v4: string | null;
  kernel_id: string | null;
  host: string | null;
  user_id: string | null;
  image_ref_url: string | null;
  cell_name: string;
  root_gb: number | null;
  tenant_id: string | null;
  created_at: string;
  instance_id: string;
  instance_type: string;
  vcpus: number | null;
  image_meta: JsonDict | null;
  architecture: string | null;
  os_type: string | null;
  instance_flavor_id: string;
}

export type VmKey = keyof VmFields;

/** Contract order; also the order of the keys in a published message. */
export const VM_KEYS: readonly VmKey[] = [
  'state_description',
  'availability_zone',
  'terminated_at',
  'ephemeral_gb',
  'instance_type_id',
  'deleted_at',
  'reservation_id',
  'memory_mb',
  'display_name',
  'hostname',
  'state',
  'progress',
  'launched_at',
  'metadata',
  'node',
  'ramdisk_id',
  'access_ip_v6',
  'disk_gb',
  'access_ip_v4',
  'kernel_id',
  'host',
  'user_id',
  'image_ref_url',
  'cell_name',
  'root_gb',
  'tenant_id',
  'created_at',
  'instance_id',
  'instance_type',
  'vcpus',
  'image_meta',
  'architecture',
  'os_type',
  'instance_flavor_id',
];

/*
 * An object gets its keys in one go by cloning this (a literal-like object with every key in
 * contract order); one built by adding 34 keys one by one falls into V8's slow dictionary mode,
 * which made building and serialising each message several times slower.
 */
const FIELDS_TEMPLATE: Readonly<Record<VmKey, null>> = {
  ...Object.fromEntries(VM_KEYS.map((k) => [k, null])),
} as Record<VmKey, null>;

/** A VmFields with every key present (null) in contract order, for the mappings to fill in. */
export function blankFields(): Record<VmKey, unknown> {
  return { ...FIELDS_TEMPLATE };
}

export const isDict: (v: unknown) => v is JsonDict = isPlainObject;

const kindOf = (v: unknown): string => (v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v);

export function unmappable(key: string, want: string, got: unknown): RelayError {
  return new RelayError('UNMAPPABLE', `${key} must be ${want}; got ${kindOf(got)}.`);
}

type Converter = (value: unknown, key: string) => VmFields[VmKey];

/**
 * Every way a source value becomes a VM message value. The names are what the docs and the
 * mapping tables use. "Absent" is undefined; nova's None arrives as null.
 */
export const CONVERTERS = {
  /** `null_safe_str`: None -> "". */
  text: (v, key) => {
    if (v === undefined || v === null) return '';
    if (typeof v !== 'string') throw unmappable(key, 'a string', v);
    return v;
  },
  /** A legacy date, kept exactly as nova wrote it; None / absent -> "" (`null_safe_isotime`). */
  legacyDate: (v, key) => {
    if (v === undefined || v === null || v === '') return '';
    if (typeof v !== 'string' || toIsoUtc(v) === null) throw unmappable(key, 'a date in a form nova writes', v);
    return v;
  },
  /** Versioned date -> `str(aware datetime)`, the legacy created_at form. */
  pythonStrDate: (v, key) => {
    const s = toLegacyDate(v, 'str');
    if (s === null) throw unmappable(key, 'an ISO 8601 date or null', v);
    return s;
  },
  /** Versioned date -> `utils.strtime`, the legacy form of the other dates. */
  strtimeDate: (v, key) => {
    const s = toLegacyDate(v, 'strtime');
    if (s === null) throw unmappable(key, 'an ISO 8601 date or null', v);
    return s;
  },
  optionalString: (v, key) => {
    if (v === undefined || v === null) return null;
    if (typeof v !== 'string') throw unmappable(key, 'a string or null', v);
    return v;
  },
  optionalInteger: (v, key) => {
    if (v === undefined || v === null) return null;
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0)
      throw unmappable(key, 'a non-negative integer or null', v);
    return v;
  },
  /** `int(instance.progress) if instance.progress else ''`: 0 and None both become "". */
  progress: (v, key) => {
    if (v === undefined || v === null || v === '' || v === 0) return '';
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 100)
      throw unmappable(key, 'an integer 0-100, "" or null', v);
    return v;
  },
  /** Essex-era nova sent instance metadata as a list of {key, value} rows; later ones a dict. */
  optionalDict: (v, key) => {
    if (v === undefined || v === null) return null;
    if (isDict(v)) return v;
    if (Array.isArray(v) && v.every((row) => isDict(row) && typeof row.key === 'string')) {
      return Object.fromEntries(v.map((row) => [(row as JsonDict).key as string, (row as JsonDict).value]));
    }
    throw unmappable(key, 'an object, a list of {key, value} or null', v);
  },
  /** An instance without its uuid cannot be told apart from any other. */
  instanceId: (v, key) => {
    if (typeof v !== 'string' || v === '')
      throw unmappable(key, 'the instance uuid (a non-empty string); this is not an instance payload', v);
    return v;
  },
  /** Empty means volume-backed (no image); legacy nova sent None when it built no URL. */
  imageRef: (v, key) => {
    if (v === undefined || v === null || v === '') return null;
    if (typeof v !== 'string') throw unmappable(key, 'an image uuid or null', v);
    return v;
  },
} as const satisfies Record<string, Converter>;

export type ConverterName = keyof typeof CONVERTERS;
