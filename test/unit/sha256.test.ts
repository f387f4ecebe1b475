// The one SHA-256 helper: known answers (FIPS 180-4's "abc" example) and the constant-time comparisons.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { matchesSha256, sameSecret, sha256, sha256Base64Url, sha256Hex } from '../../shared/sha256.js';

const ABC_HEX = 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad';

describe('sha256', () => {
  it('gives the known digest of "abc" as bytes, hex and base64url, and hashes UTF-8', () => {
    expect(sha256('abc').toString('hex')).toBe(ABC_HEX);
    expect(sha256Hex('abc')).toBe(ABC_HEX);
    expect(sha256Base64Url('abc')).toBe(Buffer.from(ABC_HEX, 'hex').toString('base64url'));
    expect(sha256Base64Url('abc')).toHaveLength(43);
    expect(sha256Hex('é')).toBe(createHash('sha256').update(Buffer.from([0xc3, 0xa9])).digest('hex'));
  });

  it('matches a text against its stored hash only', () => {
    const stored = sha256Base64Url('secret');
    expect(matchesSha256('secret', stored)).toBe(true);
    expect(matchesSha256('secreT', stored)).toBe(false);
    expect(matchesSha256('secret', stored.slice(1))).toBe(false);
    expect(matchesSha256('secret', '')).toBe(false);
  });

  it('compares secrets of any lengths', () => {
    expect(sameSecret('admin-key', 'admin-key')).toBe(true);
    expect(sameSecret('admin-key', 'admin-key-longer')).toBe(false);
    expect(sameSecret('', 'x')).toBe(false);
  });
});
