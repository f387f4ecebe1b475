import { describe, expect, it } from 'vitest';
import { createHmac } from 'node:crypto';
import { Webhook, WebhookVerificationError } from 'standardwebhooks';
import { newSigningSecret, signatureHeaders, standardSecret } from '../../shared/webhooks/signature.js';
import { bearerToken, clientIdOfKey, generateApiKey, hashApiKey, verifyApiKey } from '../../shared/auth/api-keys.js';

// The published Standard Webhooks vector ("sign function works" in
// https://github.com/standard-webhooks/standard-webhooks/blob/main/libraries/javascript/src/webhook.test.ts).
const VECTOR = {
  secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
  id: 'msg_p5jXN8AQM9LWM0D4loKWxJek',
  timestampMs: 1614265330 * 1000,
  body: '{"test": 2432232314}',
  signature: 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
};

/** HMAC-SHA256 of "id.timestamp.body" under the secret's decoded bytes, computed without the library. */
function independentSignature(secret: string, id: string, timestamp: string, body: string): string {
  const key = Buffer.from(secret.slice('whsec_'.length), 'base64');
  return `v1,${createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest('base64')}`;
}

describe('webhook signatures (Standard Webhooks)', () => {
  it('reproduces the published known-answer vector, header by header', () => {
    expect(signatureHeaders([VECTOR.secret], VECTOR.id, VECTOR.body, VECTOR.timestampMs)).toEqual({
      'webhook-id': VECTOR.id,
      'webhook-timestamp': '1614265330',
      'webhook-signature': VECTOR.signature,
    });
    expect(independentSignature(VECTOR.secret, VECTOR.id, '1614265330', VECTOR.body)).toBe(VECTOR.signature);
  });

  it('signs with a fresh secret exactly as an independent HMAC over id, timestamp and body does', () => {
    const secret = newSigningSecret();
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/); // 32 bytes, standard base64
    const body = JSON.stringify({ id: 'evt_1', type: 'busy.changed', data: { ü: '✓' } });
    const headers = signatureHeaders([secret], 'evt_1', body, Date.UTC(2026, 0, 1, 12, 0, 0, 999));
    expect(headers['webhook-timestamp']).toBe(String(Date.UTC(2026, 0, 1, 12) / 1000)); // whole seconds
    expect(headers['webhook-signature']).toBe(independentSignature(secret, 'evt_1', headers['webhook-timestamp']!, body));
  });

  it('sends one space-separated signature per active secret, newest first, each verifiable by the library', () => {
    const [next, previous] = [newSigningSecret(), newSigningSecret()];
    const body = '{"id":"evt_2"}';
    const headers = signatureHeaders([next, previous], 'evt_2', body);
    const parts = headers['webhook-signature']!.split(' ');
    expect(parts).toEqual([
      independentSignature(next, 'evt_2', headers['webhook-timestamp']!, body),
      independentSignature(previous, 'evt_2', headers['webhook-timestamp']!, body),
    ]);
    expect(() => new Webhook(next).verify(body, headers)).not.toThrow();
    expect(() => new Webhook(previous).verify(body, headers)).not.toThrow();
    expect(() => new Webhook(newSigningSecret()).verify(body, headers)).toThrow(WebhookVerificationError);
    expect(() => new Webhook(next).verify(`${body} `, headers)).toThrow(WebhookVerificationError);
    expect(() => new Webhook(next).verify(body, { ...headers, 'webhook-id': 'evt_other' })).toThrow(WebhookVerificationError);
  });

  it('signs with a secret issued in the URL-safe alphabet under the same key bytes, in the standard alphabet', () => {
    const bytes = Buffer.from('fb'.repeat(32), 'hex'); // encodes with - and _ in the URL-safe alphabet
    const urlSafe = `whsec_${bytes.toString('base64url')}`;
    expect(urlSafe).toMatch(/[-_]/);
    expect(standardSecret(urlSafe)).toBe(`whsec_${bytes.toString('base64')}`);
    const headers = signatureHeaders([urlSafe], 'evt_3', '{}');
    expect(() => new Webhook(standardSecret(urlSafe)).verify('{}', headers)).not.toThrow();
    expect(() => signatureHeaders(['not-a-secret'], 'evt_3', '{}')).toThrow(/whsec_/);
    expect(() => signatureHeaders([], 'evt_3', '{}')).toThrow(/at least one/);
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
