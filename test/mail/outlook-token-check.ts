// How Exchange Online checks the bearer token of a SASL XOAUTH2 sign-in (SMTP AUTH, IMAP, POP): RS256
// signature against the identity platform's published keys (the simulator's JWKS), audience
// https://outlook.office.com, the protocol's permission in `scp`, unexpired, and the SASL user being the
// token's user or a shared mailbox that user may open (asked of the simulator)
// (https://learn.microsoft.com/exchange/client-developer/legacy-protocols/how-to-authenticate-an-imap-pop-smtp-application-by-using-oauth).
import { createRemoteJWKSet, jwtVerify } from 'jose';

export type TokenCheck = (accessToken: string, saslUser: string, permission: string) => Promise<{ ok: true } | { ok: false; reason: string }>;

export function outlookTokenCheck(options: { simulatorUrl: string; tenant: string; now?: () => Date }): TokenCheck {
  const jwks = createRemoteJWKSet(new URL(`${options.simulatorUrl}/${options.tenant}/discovery/v2.0/keys`));
  const mayActAs = async (tokenUser: string, saslUser: string): Promise<boolean> => {
    if (tokenUser.toLowerCase() === saslUser.toLowerCase()) return true;
    const res = await fetch(`${options.simulatorUrl}/_sim/graph/shared-mailboxes/${encodeURIComponent(saslUser)}/members/${encodeURIComponent(tokenUser)}`);
    return res.ok && ((await res.json()) as { access: boolean }).access;
  };
  return async (accessToken, saslUser, permission) => {
    try {
      const { payload } = await jwtVerify(accessToken, jwks, { algorithms: ['RS256'], audience: 'https://outlook.office.com', currentDate: options.now?.() ?? new Date() });
      const scopes = typeof payload.scp === 'string' ? payload.scp.split(' ') : [];
      if (!scopes.includes(permission)) return { ok: false, reason: 'scope' };
      const tokenUser = typeof payload.upn === 'string' ? payload.upn : '';
      if (!(await mayActAs(tokenUser, saslUser))) return { ok: false, reason: 'user' };
      return { ok: true };
    } catch (error) {
      return { ok: false, reason: `token: ${(error as Error).name}` };
    }
  };
}

/** The user and token of a SASL XOAUTH2 initial response: base64("user=" user ^A "auth=Bearer " token ^A ^A). */
export function parseXoauth2(initialResponse: string): { user: string; token: string } | undefined {
  const parts = Buffer.from(initialResponse, 'base64').toString('utf8').split('\x01');
  const [userPart, authPart, empty1, empty2, ...rest] = parts;
  if (rest.length > 0 || empty1 !== '' || empty2 !== '' || !userPart?.startsWith('user=') || !authPart?.startsWith('auth=Bearer ')) return undefined;
  const user = userPart.slice('user='.length);
  const token = authPart.slice('auth=Bearer '.length);
  return user && token ? { user, token } : undefined;
}
