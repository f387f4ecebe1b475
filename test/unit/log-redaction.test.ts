// Log redaction hides credentials, not diagnostics: an error's `code=` (ECONNREFUSED, a Graph error code)
// must survive, while an OAuth authorization code in a URL or JSON body is still hidden.
import { describe, expect, it } from 'vitest';
import { describeError, redact } from '../../shared/logging.js';

describe('redact', () => {
  it('keeps error codes readable', () => {
    const error = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:10002'), { name: 'RestError', code: 'ECONNREFUSED' });
    expect(describeError(error)).toBe('RestError code=ECONNREFUSED: connect ECONNREFUSED 127.0.0.1:10002');
    expect(redact('graph error code=ErrorInvalidIdMalformed status=400')).toBe('graph error code=ErrorInvalidIdMalformed status=400');
    expect(redact('{"error":{"code":"InvalidAuthenticationToken","message":"expired"}}')).toContain('"code":"InvalidAuthenticationToken"');
  });

  it('still hides authorization codes, in a URL or a body', () => {
    const authCode = '0.AQoAbc123-DEF_456.ghiJKLmnoPQRstuVWXyz0123456789abcdefGHIJ';
    expect(redact(`GET /api/auth/callback?code=${authCode}&state=x`)).not.toContain(authCode);
    expect(redact(`GET /api/auth/callback?state=x&code=${authCode}`)).not.toContain(authCode);
    expect(redact(`grant_type=authorization_code&code=${authCode}&redirect_uri=x`)).not.toContain(authCode);
    expect(redact(`{"code":"${authCode}"}`)).not.toContain(authCode);
    expect(redact(`code=${authCode}`)).not.toContain(authCode);
  });

  it('still hides secrets named by their key', () => {
    for (const line of ['client_secret=abcdefgh12345678', '"refresh_token":"0.ARaaaaaaa"', 'clientState=s3cr3t-value', 'api_key: abc12345']) {
      expect(redact(line)).toContain('[redacted]');
    }
  });
});
