// Reading one cookie from a request's Cookie header (RFC 6265 section 5.4: "name=value" pairs joined by "; ").
import type { HttpRequest } from '@azure/functions';

export function cookieValue(request: HttpRequest, name: string): string | undefined {
  for (const part of (request.headers.get('cookie') ?? '').split(';')) {
    const [key, ...rest] = part.trim().split('=');
    if (key === name) return rest.join('=');
  }
  return undefined;
}
