// Pure helpers: key escaping and splitting long values across properties.
import { describe, expect, it } from 'vitest';
import { CHUNK_CHARS, joinChunks, MAX_CHUNKED_CHARS, splitIntoChunks } from '../../shared/store/chunks.js';
import { escapeKey, unescapeKey } from '../../shared/store/keys.js';

describe('escapeKey', () => {
  it('leaves ordinary ids alone and escapes exactly the forbidden characters, reversibly', () => {
    expect(escapeKey('0f8fad5b-d9cb-469f-a165-70867728950e')).toBe('0f8fad5b-d9cb-469f-a165-70867728950e');
    expect(escapeKey('a/b\\c#d?e%f\u0001')).toBe('a%2Fb%5Cc%23d%3Fe%25f%01');
    for (const value of ['a/b\\c#d?e%f\u0001', '%2F', 'x%25y', 'ünïcödé/😀']) expect(unescapeKey(escapeKey(value))).toBe(value);
  });

  it('refuses keys beyond the 1 KiB limit', () => {
    expect(() => escapeKey('k'.repeat(513))).toThrow(RangeError);
  });
});

describe('splitIntoChunks / joinChunks', () => {
  it('keeps short values as one property', () => {
    expect(splitIntoChunks('cache', 'abc')).toEqual({ cache: 'abc' });
  });

  it('splits long values under the per-property limit and joins them back', () => {
    const value = 'ab'.repeat(CHUNK_CHARS) + 'tail';
    const props = splitIntoChunks('cache', value);
    expect(props.cache__chunks).toBe(3);
    for (const [name, part] of Object.entries(props)) if (name !== 'cache__chunks') expect(String(part).length).toBeLessThanOrEqual(CHUNK_CHARS);
    expect(joinChunks({ ...props, other: 1 })).toEqual({ cache: value, other: 1 });
  });

  it('never splits a surrogate pair', () => {
    const value = 'a'.repeat(CHUNK_CHARS - 1) + '😀' + 'b';
    const props = splitIntoChunks('v', value);
    expect(props.v__0).toBe('a'.repeat(CHUNK_CHARS - 1));
    expect(joinChunks({ ...props }).v).toBe(value);
  });

  it('refuses values too large for one entity, and detects a missing chunk', () => {
    expect(() => splitIntoChunks('v', 'x'.repeat(MAX_CHUNKED_CHARS + 1))).toThrow(RangeError);
    const props: Record<string, unknown> = splitIntoChunks('v', 'x'.repeat(CHUNK_CHARS * 2));
    delete props.v__1;
    expect(() => joinChunks(props)).toThrow(/incomplete/);
  });
});
