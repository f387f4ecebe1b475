// A Table string property holds at most 64 KiB (UTF-16, so 32K characters) and an entity at most 1 MiB
// (https://learn.microsoft.com/rest/api/storageservices/understanding-the-table-service-data-model). Long strings (an encrypted MSAL cache, a busy-interval list) are split across
// `<name>__0..n` properties with a `<name>__chunks` count, and joined again on read.

export const CHUNK_CHARS = 30_000;
/** Stay well under the 1 MiB entity limit (UTF-16: 2 bytes a character), leaving room for other properties. */
export const MAX_CHUNKED_CHARS = 450_000;

const COUNT_SUFFIX = '__chunks';

export function chunkPropertyNames(name: string, count: number): string[] {
  return Array.from({ length: count }, (_, i) => `${name}__${i}`);
}

/** Splits `value` into properties; short values stay a single property named `name`. */
export function splitIntoChunks(name: string, value: string): Record<string, string | number> {
  if (value.length <= CHUNK_CHARS) return { [name]: value };
  if (value.length > MAX_CHUNKED_CHARS) throw new RangeError(`property ${name} is too large for one table entity`);
  const out: Record<string, string | number> = {};
  let index = 0;
  for (let start = 0; start < value.length; index += 1) {
    let end = Math.min(start + CHUNK_CHARS, value.length);
    // Never split a surrogate pair: a lone surrogate is not valid in the wire JSON.
    const last = value.charCodeAt(end - 1);
    if (end < value.length && last >= 0xd800 && last <= 0xdbff) end -= 1;
    out[`${name}__${index}`] = value.slice(start, end);
    start = end;
  }
  out[`${name}${COUNT_SUFFIX}`] = index;
  return out;
}

/** Joins every chunked property of `properties` in place; returns the same object. */
export function joinChunks(properties: Record<string, unknown>): Record<string, unknown> {
  for (const key of Object.keys(properties)) {
    if (!key.endsWith(COUNT_SUFFIX)) continue;
    const name = key.slice(0, -COUNT_SUFFIX.length);
    const count = Number(properties[key]);
    const names = chunkPropertyNames(name, count);
    const parts = names.map((n) => properties[n]);
    if (parts.some((p) => typeof p !== 'string')) throw new Error(`chunked property ${name} is incomplete`);
    properties[name] = parts.join('');
    for (const n of names) delete properties[n];
    delete properties[key];
  }
  return properties;
}
