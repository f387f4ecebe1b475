// PartitionKey and RowKey may not contain / \ # ? or control characters, and are at most 1 KiB.
// @see https://learn.microsoft.com/rest/api/storageservices/understanding-the-table-service-data-model#characters-disallowed-in-key-fields
// escapeKey percent-encodes exactly those (and '%' itself), so it is reversible and leaves ordinary ids as they are.

// eslint-disable-next-line no-control-regex
const FORBIDDEN = /[%/\\#?\u0000-\u001f\u007f-\u009f]/g;
const MAX_KEY_CHARS = 512; // 1 KiB of UTF-16

export function escapeKey(value: string): string {
  const escaped = value.replace(FORBIDDEN, (c) => `%${c.charCodeAt(0).toString(16).padStart(2, '0').toUpperCase()}`);
  if (escaped.length > MAX_KEY_CHARS) throw new RangeError(`table key longer than ${MAX_KEY_CHARS} characters`);
  return escaped;
}

export function unescapeKey(value: string): string {
  return value.replace(/%([0-9A-F]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}
