import { describe, expect, it } from 'vitest';
import { computeSignature, signatureHeaders, SIGNATURE_HEADER, TIMESTAMP_HEADER, verifySignature } from '../../shared/webhooks/signature.js';
import { bearerToken, clientIdOfKey, generateApiKey, hashApiKey, verifyApiKey } from '../../shared/auth/api-keys.js';

describe('webhook signatures', () => {
  const body = JSON.stringify({ id: 'evt_1', type: 'busy.changed' });
  const now = Date.UTC(2026, 0, 1);

  it('verifies with the current secret and with either secret during rotation', () => {
    const headers = signatureHeaders(['new-secret', 'old-secret'], body, now);
    const h = { timestamp: headers[TIMESTAMP_HEADER], signature: headers[SIGNATURE_HEADER] };
    expect(verifySignature('new-secret', body, h, { nowMs: now })).toEqual({ ok: true });
    expect(verifySignature('old-secret', body, h, { nowMs: now })).toEqual({ ok: true });
    expect(verifySignature('other', body, h, { nowMs: now })).toEqual({ ok: false, reason: 'bad_signature' });
  });

  it('rejects a changed body, a stale timestamp and missing headers', () => {
    const headers = signatureHeaders(['s'], body, now);
    const h = { timestamp: headers[TIMESTAMP_HEADER], signature: headers[SIGNATURE_HEADER] };
    expect(verifySignature('s', body + ' ', h, { nowMs: now }).ok).toBe(false);
    expect(verifySignature('s', body, h, { nowMs: now + 301_000 })).toEqual({ ok: false, reason: 'stale_timestamp' });
    expect(verifySignature('s', body, { timestamp: null, signature: h.signature }, { nowMs: now })).toEqual({ ok: false, reason: 'missing_headers' });
  });

  it('signs timestamp and body together', () => {
    expect(computeSignature('s', 1, 'x')).not.toBe(computeSignature('s', 2, 'x'));
  });
});

describe('API keys', () => {
  it('generates keys that verify against their hash only', () => {
    const { key, hash } = generateApiKey('abcdef0123456789abcd');
    expect(clientIdOfKey(key)).toBe('abcdef0123456789abcd');
    expect(verifyApiKey(key, [hash])).toBe(true);
    expect(verifyApiKey(key, ['x', hash])).toBe(true);
    expect(verifyApiKey(key.slice(0, -1) + (key.endsWith('A') ? 'B' : 'A'), [hash])).toBe(false);
    expect(verifyApiKey(key, [])).toBe(false);
    expect(hash).not.toContain(key.slice(-20));
    expect(hashApiKey(key)).toBe(hash);
  });

  it('parses bearer headers strictly', () => {
    expect(bearerToken('Bearer abc')).toBe('abc');
    expect(bearerToken('bearer   abc  ')).toBe('abc');
    expect(bearerToken('Basic abc')).toBeUndefined();
    expect(bearerToken(null)).toBeUndefined();
    expect(clientIdOfKey('cb_live_x_y')).toBeUndefined();
  });
});
