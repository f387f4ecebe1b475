// Known-answer vectors for the token encodings: PKCE S256 (RFC 7636 appendix B) as the simulator's token
// endpoint checks it and as MSAL's pairs (which the connect flow sends with method S256) satisfy it, and the
// SHA-256 base64url hashes stored in place of API keys, OAuth states, capabilities and clientStates (FIPS
// 180-2's "abc" vector): a change of encoding would orphan every stored row, so it must fail here first.
import { createHash } from 'node:crypto';
import { CryptoProvider } from '@azure/msal-node';
import { describe, expect, it } from 'vitest';
import { checkPkce } from '../../dev/simulator/identity/token-endpoint.js';
import { IdentityError } from '../../dev/simulator/identity/errors.js';
import { hashApiKey } from '../../shared/auth/api-keys.js';
import { capabilityHash } from '../../shared/store/repositories/connect-links.js';
import { stateHash } from '../../shared/store/repositories/oauth-states.js';
import { hashClientState } from '../../shared/sync/client-state.js';

// https://www.rfc-editor.org/rfc/rfc7636#appendix-B
const RFC7636 = { verifier: 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk', challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM' };

// FIPS 180-2 appendix B.1: SHA-256("abc") = ba7816bf 8f01cfea 414140de 5dae2223 b00361a3 96177a9c b410ff61 f20015ad
const ABC_SHA256_BASE64URL = Buffer.from('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad', 'hex').toString('base64url');

describe('PKCE S256 (RFC 7636 appendix B)', () => {
  it("the simulator's token endpoint accepts the RFC's verifier for its challenge, and refuses a changed one", () => {
    expect(() => checkPkce(RFC7636.challenge, 'S256', RFC7636.verifier)).not.toThrow();
    const changed = `${RFC7636.verifier.slice(0, -1)}j`;
    expect(() => checkPkce(RFC7636.challenge, 'S256', changed)).toThrow(IdentityError);
    // plain compares the verifier itself: the S256 challenge is not a plain match.
    expect(() => checkPkce(RFC7636.challenge, 'plain', RFC7636.verifier)).toThrow(IdentityError);
  });

  it("MSAL's pairs, which the connect flow sends as S256, hold the relation the vector fixes", async () => {
    expect(createHash('sha256').update(RFC7636.verifier, 'ascii').digest('base64url')).toBe(RFC7636.challenge);
    const { verifier, challenge } = await new CryptoProvider().generatePkceCodes();
    expect(verifier).toMatch(/^[A-Za-z0-9._~-]{43,128}$/);
    expect(challenge).toBe(createHash('sha256').update(verifier, 'ascii').digest('base64url'));
    expect(() => checkPkce(challenge, 'S256', verifier)).not.toThrow();
  });
});

describe('stored hashes: SHA-256, base64url without padding', () => {
  it.each([
    ['API key hash', hashApiKey],
    ['OAuth state hash', stateHash],
    ['capability hash (connect links, picker tokens)', capabilityHash],
    ['Graph clientState hash', hashClientState],
  ])('%s of "abc" is the FIPS 180-2 digest', (_name, hash) => {
    expect(ABC_SHA256_BASE64URL).toBe('ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0');
    expect(hash('abc')).toBe(ABC_SHA256_BASE64URL);
  });
});
