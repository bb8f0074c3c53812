import { createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { isIP } from 'node:net';

/**
 * How the backend tells the realtime service who a tunnelled WebSocket client is. The service sees the backend's
 * address on every socket it tunnels, and a bare `X-Forwarded-For` would be believed from anyone who can reach the
 * service: so the backend sends the address it settled on (see `requestClientAddress`) with an HMAC of it, keyed
 * from SECRET_KEY, which the two share and clients never see. The service believes a signed address only.
 */
export const CLIENT_ADDRESS_HEADER = 'x-selfdb-client-address';
export const CLIENT_ADDRESS_SIGNATURE_HEADER = 'x-selfdb-client-address-signature';

const proxyKey = (secretKey: string): Buffer =>
  createHmac('sha256', secretKey).update('selfdb-realtime-client-address').digest();

/** The signature of `address` that the backend sends along with it. */
export function signClientAddress(secretKey: string, address: string): string {
  return createHmac('sha256', proxyKey(secretKey)).update(address).digest('hex');
}

/** Whether `signature` is `address`'s (constant time). */
export function verifyClientAddress(secretKey: string, address: string, signature: string): boolean {
  const expected = Buffer.from(signClientAddress(secretKey, address), 'hex');
  const given = Buffer.from(signature, 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/**
 * The client's address as Fastify's `request.ip` has it: the TCP peer, or with `trustProxy` (TRUST_PROXY=true, a
 * reverse proxy in front) the first `X-Forwarded-For` entry, when it is an IP address.
 */
export function requestClientAddress(request: IncomingMessage, trustProxy: boolean): string {
  const peer = request.socket.remoteAddress ?? '';
  if (!trustProxy) return peer;
  const header = request.headers['x-forwarded-for'];
  const first = (Array.isArray(header) ? header.join(',') : (header ?? '')).split(',')[0]!.trim();
  return isIP(first) ? first : peer;
}

/**
 * What per-address limits count by: an IPv4 address (IPv4-mapped IPv6 ones as IPv4), or the /64 network of an IPv6
 * address, since one IPv6 host typically holds a whole /64.
 */
export function addressLimitKey(address: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return mapped[1]!;
  if (isIP(address) !== 6) return address;
  // A trailing dotted quad is two groups; a zone (`%eth0`) names an interface, not an address.
  const plain = address
    .toLowerCase()
    .replace(/%.*$/, '')
    .replace(/(\d+)\.(\d+)\.(\d+)\.(\d+)$/, (_, a: string, b: string, c: string, d: string) =>
      [((Number(a) << 8) | Number(b)).toString(16), ((Number(c) << 8) | Number(d)).toString(16)].join(':'),
    );
  const [head = '', tail = ''] = plain.split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups = plain.includes('::')
    ? [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right]
    : left;
  return `${groups
    .slice(0, 4)
    .map((group) => group.replace(/^0+(?=.)/, ''))
    .join(':')}::/64`;
}
