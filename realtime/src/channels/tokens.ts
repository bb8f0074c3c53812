import { type Actor, ErrorCode, verifyAccessToken } from '@selfdb/common';
import type { Hub } from './hub.ts';

export interface Identity {
  actor: Actor;
  /** When the token expires (ms since the epoch); the socket's flow stops then. */
  expiresAt: number | null;
}

export interface TokenRefusal {
  status: number;
  code: string;
  detail: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Resolves an access token to the user as the database has it now (role and is_active from the row, not from
 * the token), as the backend does on every request.
 */
export async function authenticate(
  hub: Hub,
  jwtKey: Uint8Array,
  token: string,
): Promise<Identity | TokenRefusal> {
  const claims = await verifyAccessToken(jwtKey, token);
  if (!claims || !UUID.test(claims.sub)) {
    return { status: 401, code: ErrorCode.INVALID_TOKEN, detail: 'Could not validate credentials' };
  }
  const user = await hub.loadUser(claims.sub);
  if (!user) return { status: 401, code: ErrorCode.INVALID_TOKEN, detail: 'Could not validate credentials' };
  if (!user.is_active) return { status: 400, code: ErrorCode.USER_INACTIVE, detail: 'Inactive user' };
  return {
    actor: { id: user.id, role: user.role },
    expiresAt: claims.exp === null ? null : claims.exp * 1000,
  };
}

export const isTokenRefusal = (value: Identity | TokenRefusal): value is TokenRefusal => 'status' in value;
