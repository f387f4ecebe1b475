// Our entities are plain objects; Table Storage knows only strings, numbers, booleans, dates, Int64 and binary.
// Arrays and objects are stored as JSON in `<name>__json`; long strings are chunked (chunks.ts); keys are escaped.
import type { TableEntity } from '@azure/data-tables';
import { joinChunks, splitIntoChunks } from './chunks.js';
import { escapeKey, unescapeKey } from './keys.js';

export interface EntityKeys {
  partitionKey: string;
  rowKey: string;
}

const JSON_SUFFIX = '__json';
const SYSTEM_PROPERTIES = new Set(['etag', 'timestamp', 'odata.metadata']);
const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;

function isStructured(value: unknown): boolean {
  return typeof value === 'object' && value !== null && !(value instanceof Date) && !(value instanceof Uint8Array);
}

export function toTableEntity<T extends EntityKeys>(entity: T): TableEntity<Record<string, unknown>> {
  const out: Record<string, unknown> = {
    partitionKey: escapeKey(entity.partitionKey),
    rowKey: escapeKey(entity.rowKey),
  };
  for (const [name, value] of Object.entries(entity)) {
    if (name === 'partitionKey' || name === 'rowKey' || value === undefined || value === null) continue;
    if (SYSTEM_PROPERTIES.has(name)) continue;
    if (isStructured(value)) {
      Object.assign(out, splitIntoChunks(`${name}${JSON_SUFFIX}`, JSON.stringify(value)));
    } else if (typeof value === 'string') {
      Object.assign(out, splitIntoChunks(name, value));
    } else if (typeof value === 'number' && Number.isInteger(value) && (value < INT32_MIN || value > INT32_MAX)) {
      // The service would read an untyped integer as Int32; epoch milliseconds need Double.
      out[name] = { value: String(value), type: 'Double' };
    } else {
      out[name] = value;
    }
  }
  return out as TableEntity<Record<string, unknown>>;
}

export function fromTableEntity<T extends EntityKeys>(raw: Record<string, unknown>): T {
  const props: Record<string, unknown> = { ...raw };
  for (const name of SYSTEM_PROPERTIES) delete props[name];
  joinChunks(props);
  for (const key of Object.keys(props)) {
    if (!key.endsWith(JSON_SUFFIX)) continue;
    props[key.slice(0, -JSON_SUFFIX.length)] = JSON.parse(String(props[key]));
    delete props[key];
  }
  props.partitionKey = unescapeKey(String(props.partitionKey));
  props.rowKey = unescapeKey(String(props.rowKey));
  return props as T;
}
