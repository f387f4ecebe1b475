// Log lines must never carry a token or secret. Everything logged goes through redact() first.

const PATTERNS: [RegExp, string][] = [
  // JWTs (access and id tokens): three base64url segments.
  [/\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*/g, '[redacted-jwt]'],
  // Authorization headers and bearer values.
  [/\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]{8,}/gi, '$1 [redacted]'],
  // key=value or "key":"value" pairs whose key names a credential.
  [
    /((?:access_token|refresh_token|id_token|client_secret|code_verifier|api[_-]?key|password|secret|clientState|sasl)["']?\s*[:=]\s*["']?)[^"'&\s,}]+/gi,
    '$1[redacted]',
  ],
  // An OAuth authorization code: in a query or form (`?code=`, `&code=`), or any `code` value long or
  // punctuated like one. Error codes (code=ECONNREFUSED, "code":"InvalidAuthenticationToken") are
  // diagnostics: short words of letters, digits and underscores, and they stay readable.
  [/((?:[?&]code=))[^&\s"']+/gi, '$1[redacted]'],
  [/(\bcode["']?\s*[:=]\s*["']?)(?![A-Za-z0-9_]{1,40}(?:["'&\s,;:)}\]]|$))[^"'&\s,}]+/gi, '$1[redacted]'],
  // Our API keys (cb_live_… / cb_admin_…).
  [/\bcb_(?:live|admin|test)_[A-Za-z0-9_-]{8,}/g, '[redacted-key]'],
];

export function redact(text: string): string {
  let out = text;
  for (const [pattern, replacement] of PATTERNS) out = out.replace(pattern, replacement);
  return out;
}

/** A short, safe description of an error for logs: name, code and redacted message, never the request. */
export function describeError(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    const status = (error as { statusCode?: unknown }).statusCode;
    const parts = [error.name, code !== undefined ? `code=${String(code)}` : '', status !== undefined ? `status=${String(status)}` : ''];
    return redact(`${parts.filter(Boolean).join(' ')}: ${error.message}`);
  }
  return redact(String(error));
}
