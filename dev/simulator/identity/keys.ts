// The simulator's token-signing key: one RSA key per simulator, published as a JWKS like Entra's
// /discovery/v2.0/keys, so tokens can be verified the same way real ones are.
// https://learn.microsoft.com/en-us/entra/identity-platform/signing-key-rollover
import { createHash, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { SignJWT, jwtVerify, createLocalJWKSet, type JWK, type JWTPayload, type JWTVerifyOptions } from 'jose';

export interface SigningKey {
  kid: string;
  jwks: { keys: JWK[] };
  sign(claims: JWTPayload): Promise<string>;
  verify(token: string, options: JWTVerifyOptions): Promise<JWTPayload>;
}

export function createSigningKey(): SigningKey {
  // Generated synchronously because simulator modules register synchronously.
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const exported = publicKey.export({ format: 'jwk' }) as JWK;
  const kid = createHash('sha256').update(exported.n ?? '').digest('base64url').slice(0, 27);
  const jwk: JWK = { kty: 'RSA', use: 'sig', kid, n: exported.n, e: exported.e };
  const keySet = createLocalJWKSet({ keys: [jwk] });
  return {
    kid,
    jwks: { keys: [jwk] },
    sign: (claims) => signWith(privateKey, kid, claims),
    verify: async (token, options) => (await jwtVerify(token, keySet, { algorithms: ['RS256'], ...options })).payload,
  };
}

function signWith(privateKey: KeyObject, kid: string, claims: JWTPayload): Promise<string> {
  // Claims carry their own iat/nbf/exp from the simulated clock; jose must not add wall-clock ones.
  return new SignJWT(claims).setProtectedHeader({ alg: 'RS256', typ: 'JWT', kid }).sign(privateKey);
}
