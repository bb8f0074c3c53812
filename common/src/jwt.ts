import { errors, jwtVerify, SignJWT } from 'jose';

export type Role = 'USER' | 'ADMIN';

export interface AccessClaims {
  sub: string;
  role: Role;
}

/** What a verified access token says: its claims and when it expires. */
export interface VerifiedClaims extends AccessClaims {
  /** `exp` in seconds since the epoch, as verified (null for a token signed without one). */
  exp: number | null;
}

const ALGORITHM = 'HS256';

/** Turns the shared SECRET_KEY into the HMAC key jose expects. */
export function createJwtKey(secret: string): Uint8Array {
  return new TextEncoder().encode(secret);
}

/** Signs an HS256 access token carrying `sub` and `role` that expires after `ttlSeconds`. */
export async function signAccessToken(
  key: Uint8Array,
  claims: AccessClaims,
  ttlSeconds: number,
): Promise<string> {
  return new SignJWT({ role: claims.role })
    .setProtectedHeader({ alg: ALGORITHM, typ: 'JWT' })
    .setSubject(claims.sub)
    .setIssuedAt()
    .setExpirationTime(Math.floor(Date.now() / 1000) + ttlSeconds)
    .sign(key);
}

/**
 * Verifies an access token: HS256 only (so `alg: none` and RS/ES tokens are refused), a valid signature, not
 * expired, with a string `sub` and a known `role`. Returns null for any token that fails, never throws.
 */
export async function verifyAccessToken(key: Uint8Array, token: string): Promise<VerifiedClaims | null> {
  try {
    const { payload } = await jwtVerify(token, key, { algorithms: [ALGORITHM] });
    const role = payload.role;
    if (typeof payload.sub !== 'string' || (role !== 'USER' && role !== 'ADMIN')) return null;
    return { sub: payload.sub, role, exp: payload.exp ?? null };
  } catch (err) {
    if (err instanceof errors.JOSEError || err instanceof TypeError) return null;
    throw err;
  }
}
