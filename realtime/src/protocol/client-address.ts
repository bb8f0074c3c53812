import type { IncomingMessage } from 'node:http';
import {
  addressLimitKey,
  CLIENT_ADDRESS_HEADER,
  CLIENT_ADDRESS_SIGNATURE_HEADER,
  requestClientAddress,
  verifyClientAddress,
} from '@selfdb/common';

function firstHeader(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/**
 * Who a socket belongs to: the address the backend's proxy vouches for (signed with the shared SECRET_KEY); else,
 * with `trustProxy` (TRUST_PROXY=true: a reverse proxy reaches this service directly), the first `X-Forwarded-For`
 * entry, as the backend reads it; else the TCP peer. An unsigned or badly signed address is never believed, nor
 * `X-Forwarded-For` without TRUST_PROXY: anyone who can reach the service could write them.
 */
export function clientAddressOf(request: IncomingMessage, secretKey: string, trustProxy: boolean): string {
  const address = firstHeader(request.headers[CLIENT_ADDRESS_HEADER]);
  const signature = firstHeader(request.headers[CLIENT_ADDRESS_SIGNATURE_HEADER]);
  if (address && signature && verifyClientAddress(secretKey, address, signature)) return address;
  return requestClientAddress(request, trustProxy) || 'unknown';
}

/** Counts the sockets (handshakes included) of each client address (an IPv6 /64) against a maximum. */
export class AddressLimiter {
  private readonly counts = new Map<string, number>();

  /** `max` sockets per address; 0: no limit. */
  constructor(readonly max: number) {}

  /** Takes a slot for `address` and returns the release function, or null when the address has `max` already. */
  acquire(address: string): (() => void) | null {
    if (this.max === 0) return () => {};
    const key = addressLimitKey(address);
    const held = this.counts.get(key) ?? 0;
    if (held >= this.max) return null;
    this.counts.set(key, held + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (this.counts.get(key) ?? 1) - 1;
      if (left > 0) this.counts.set(key, left);
      else this.counts.delete(key);
    };
  }
}
