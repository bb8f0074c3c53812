import { type Actor, ErrorCode, type Queryable, verifyAccessToken } from '@selfdb/common';
import type { Hub } from './hub.ts';

export interface Identity {
  actor: Actor;
  /** When the token expires (ms since the epoch); the socket's flow stops then. */
  expiresAt: number | null;
  /** The token's session (`sid`): the socket is signed out when it ends (see `findOpenSessions`). */
  sessionId: string;
}

export interface TokenRefusal {
  status: number;
  code: string;
  detail: string;
}

const invalidToken = (): TokenRefusal => ({
  status: 401,
  code: ErrorCode.INVALID_TOKEN,
  detail: 'Could not validate credentials',
});

/**
 * Whether the session an access token names is still open: one of the user's refresh tokens carries it, unrevoked
 * and unexpired (the backend's rule, migration 0032). Logout, logout-all, a new password or role and deactivation
 * revoke them, so a token of an ended session is refused here from the next connect or join on, in every process.
 * Read from the database on connect and on `access_token`, never cached: these are rare next to the frames that
 * follow. Sockets already open (and their later joins) are signed out by the hub's session check
 * (`Hub.checkSessions`, at most 0.5 s later).
 */
async function isSessionOpen(db: Queryable, userId: string, sessionId: string): Promise<boolean> {
  const { rows } = await db.query<{ open: boolean }>(
    `SELECT EXISTS (SELECT 1 FROM refresh_tokens
                    WHERE session_id = $2 AND user_id = $1 AND revoked_at IS NULL AND expires_at > NOW()) AS open`,
    [userId, sessionId],
  );
  return rows[0]?.open === true;
}

/**
 * Resolves an access token to the user as the database has it now (role and is_active from the row, not from
 * the token), as the backend does on every request: the token must verify (signature, `exp`, `iat`, `sid`), its
 * user exist and be active, and its session be open.
 */
export async function authenticate(
  hub: Hub,
  jwtKey: Uint8Array,
  token: string,
): Promise<Identity | TokenRefusal> {
  const claims = await verifyAccessToken(jwtKey, token);
  if (!claims) return invalidToken();
  const user = await hub.loadUser(claims.sub);
  if (!user) return invalidToken();
  if (!user.is_active) return { status: 400, code: ErrorCode.USER_INACTIVE, detail: 'Inactive user' };
  if (!(await isSessionOpen(hub.pool, claims.sub, claims.sid))) return invalidToken();
  return { actor: { id: user.id, role: user.role }, expiresAt: claims.exp * 1000, sessionId: claims.sid };
}

/**
 * Which of `sessionIds` are still open (`isSessionOpen`'s rule), in one query however many there are: one probe of
 * the partial index on unrevoked refresh tokens per session. The session is the token's own (signed), so the user
 * need not be checked again.
 */
export async function findOpenSessions(db: Queryable, sessionIds: readonly string[]): Promise<Set<string>> {
  const { rows } = await db.query<{ session_id: string }>(
    `SELECT DISTINCT session_id FROM refresh_tokens
     WHERE session_id = ANY($1::uuid[]) AND revoked_at IS NULL AND expires_at > NOW()`,
    [sessionIds],
  );
  return new Set(rows.map((row) => row.session_id));
}

export const isTokenRefusal = (value: Identity | TokenRefusal): value is TokenRefusal => 'status' in value;
