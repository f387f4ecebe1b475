// Webhook URLs must not reach inside (server-side request forgery): in Azure a booking system's URL must
// not lead to the instance metadata service (169.254.169.254), Azure's platform address (168.63.129.16),
// loopback, private, shared (CGNAT), link-local, unique-local, multicast or unspecified addresses, in any
// spelling (decimal, octal, hex, IPv4-mapped IPv6). Addresses are classified by ipaddr.js; only its
// `unicast` range is allowed. The check runs at registration (what the URL itself shows) and at delivery on
// the addresses DNS returns, inside the socket's own lookup, so the address checked is the one connected to.
import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from 'node:dns';
import ipaddr from 'ipaddr.js';

/** Azure's virtual public IP of the host platform (DHCP, DNS, health probes, the WireServer). */
export const AZURE_PLATFORM_ADDRESS = '168.63.129.16';

/** Why an address may not be a webhook target (its ipaddr.js range, or `azurePlatform`); undefined when it may. */
export function forbiddenAddress(address: string): string | undefined {
  let ip: ipaddr.IPv4 | ipaddr.IPv6;
  try {
    ip = ipaddr.parse(address.replace(/^\[|\]$/g, ''));
  } catch {
    return 'invalid';
  }
  // ::ffff:169.254.169.254 is 169.254.169.254 to the network stack.
  if (ip instanceof ipaddr.IPv6 && ip.isIPv4MappedAddress()) ip = ip.toIPv4Address();
  const range = ip.range();
  if (range !== 'unicast') return range;
  if (ip.kind() === 'ipv4' && ip.toString() === AZURE_PLATFORM_ADDRESS) return 'azurePlatform';
  return undefined;
}

/** Why a webhook URL may not be used in Azure, from the URL alone (port, literal address); undefined when it may. */
export function webhookTargetProblem(url: URL, allowedPort?: number): string | undefined {
  const port = url.port === '' ? (url.protocol === 'https:' ? 443 : 80) : Number(url.port);
  if (port !== 443 && port !== allowedPort) return `the webhook URL must use port 443${allowedPort ? ` or ${allowedPort}` : ''}`;
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (ipaddr.isValid(host)) {
    const why = forbiddenAddress(host);
    if (why) return `the webhook URL's address is not allowed (${why})`;
  }
  if (host === 'localhost' || host.endsWith('.localhost')) return "the webhook URL's address is not allowed (loopback)";
  return undefined;
}

export class ForbiddenAddressError extends Error {
  override name = 'ForbiddenAddressError';
  readonly code = 'EADDRNOTALLOWED';
}

type LookupCallback = (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/**
 * A `lookup` for http(s).request: resolves as the socket would, and fails the connection when any address the
 * name resolves to is forbidden (a name with one inside address is not trusted with the others either).
 */
export function guardedLookup(hostname: string, options: LookupOptions, callback: LookupCallback): void {
  dnsLookup(hostname, { ...options, all: true }, (error, addresses) => {
    if (error) return callback(error, []);
    const bad = addresses.map((a) => forbiddenAddress(a.address)).find(Boolean);
    if (bad || addresses.length === 0) return callback(new ForbiddenAddressError(`${hostname} resolves to an address that is not allowed (${bad ?? 'none'})`), []);
    if (options.all) return callback(null, addresses);
    callback(null, addresses[0]!.address, addresses[0]!.family);
  });
}
