import { errors, jwtVerify, SignJWT } from 'jose';

export type Role = 'USER' | 'ADMIN';

export interface AccessClaims {
  sub: string;
  role: Role;
  /** The session (refresh-token chain) the token belongs to: ending the session refuses the token. */
  sid: string;
}

/** What a verified access token says: its claims and when it expires. */
export interface VerifiedClaims extends AccessClaims {
  /** `exp` in seconds since the epoch, as verified (every accepted token has one). */
  exp: number;
}

const ALGORITHM = 'HS256';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The longest lifetime (`exp - iat`) an access token may have, unless the verifier passes its own: a token that
 * claims to live longer was not issued by SelfDB (the backend caps ACCESS_TOKEN_EXPIRE_MINUTES at a day).
 */
export const MAX_ACCESS_TOKEN_LIFETIME_SECONDS = 24 * 60 * 60;
/** How far `iat` may lie in the future (clocks of several hosts disagree a little). */
const CLOCK_SKEW_SECONDS = 60;

/** Turns the shared SECRET_KEY into the HMAC key jose expects. */
export function createJwtKey(secret: string): Uint8Array {
  return new TextEncoder().encode(secret);
}

/** Signs an HS256 access token carrying `sub`, `role` and `sid` that expires after `ttlSeconds`. */
export async function signAccessToken(
  key: Uint8Array,
  claims: AccessClaims,
  ttlSeconds: number,
): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ role: claims.role, sid: claims.sid })
    .setProtectedHeader({ alg: ALGORITHM, typ: 'JWT' })
    .setSubject(claims.sub)
    .setIssuedAt(now)
    .setExpirationTime(now + ttlSeconds)
    .sign(key);
}

/**
 * Verifies an access token: HS256 only (so `alg: none` and RS/ES tokens are refused), a valid signature, `exp`
 * and `iat` present, not expired, not issued in the future, living no longer than `maxLifetimeSeconds`, with a
 * UUID `sub` and `sid` and a known `role`. Returns null for any token that fails, never throws. Whether the
 * session `sid` is still open is the caller's question (it needs the database).
 */
export async function verifyAccessToken(
  key: Uint8Array,
  token: string,
  maxLifetimeSeconds = MAX_ACCESS_TOKEN_LIFETIME_SECONDS,
): Promise<VerifiedClaims | null> {
  try {
    const { payload } = await jwtVerify(token, key, {
      algorithms: [ALGORITHM],
      requiredClaims: ['exp', 'iat', 'sub', 'sid'],
    });
    const { sub, sid, role, exp, iat } = payload;
    if (typeof sub !== 'string' || !UUID.test(sub)) return null;
    if (typeof sid !== 'string' || !UUID.test(sid)) return null;
    if (role !== 'USER' && role !== 'ADMIN') return null;
    // jose checked that both are numbers and that exp is in the future.
    if (exp === undefined || iat === undefined) return null;
    if (iat > Date.now() / 1000 + CLOCK_SKEW_SECONDS || exp - iat > maxLifetimeSeconds) return null;
    return { sub, sid, role, exp };
  } catch (err) {
    if (err instanceof errors.JOSEError || err instanceof TypeError) return null;
    throw err;
  }
}
