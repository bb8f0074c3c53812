// The signed-in session: one SelfDB client for the app (API URL and key from /config.json), tokens kept in
// localStorage across reloads and following every rotation, and requests that meet an expired token refreshed
// once and retried, or sent back to the sign-in page with a message.
import {
  accessTokenExpiresWithin,
  createSelfDB,
  readUsersMe,
  type SelfDB,
  SelfDBError,
  type TokenPair,
  unwrap,
  type UserRead,
} from '@selfdb/sdk';
import { createContext, type ReactNode, useCallback, useContext, useEffect, useMemo, useState } from 'react';
import type { RuntimeConfig } from './config.ts';

const TOKENS_KEY = 'selfdb.session';

function readStoredTokens(): TokenPair | null {
  try {
    const parsed = JSON.parse(localStorage.getItem(TOKENS_KEY) ?? 'null') as TokenPair | null;
    return parsed && typeof parsed.access_token === 'string' && typeof parsed.refresh_token === 'string'
      ? parsed
      : null;
  } catch {
    return null;
  }
}

function storeTokens(tokens: TokenPair | null): void {
  if (tokens) localStorage.setItem(TOKENS_KEY, JSON.stringify(tokens));
  else localStorage.removeItem(TOKENS_KEY);
}

/** Requests whose 401 means "wrong credentials", not "token expired". */
const NO_RETRY = /\/users\/(token|token\/refresh|logout)$/;

/** A refresh the server refused (not one that got no answer, or a server failing for a moment). */
function refused(err: unknown): boolean {
  return !(err instanceof SelfDBError && (err.status === 0 || err.status >= 500));
}

/**
 * A fetch that keeps the session's token fresh: a token about to expire is refreshed before the request goes out
 * (routes with optional auth answer an expired token as anonymous, not 401, so waiting for a 401 is not enough),
 * and a request that still gets 401 is retried once after a refresh. When the server refuses a refresh, `expired()`
 * ends the session; a refresh that got no answer (network lost, e.g. during a resumable upload) or a 5xx leaves it alone.
 */
function refreshingFetch(getSelfDB: () => SelfDB, expired: () => void): typeof fetch {
  return async (input, init) => {
    const request = new Request(input, init);
    const selfdb = getSelfDB();
    const tokens = selfdb.auth.tokens;
    const path = new URL(request.url).pathname;
    if (tokens && request.headers.has('Authorization') && !NO_RETRY.test(path)) {
      if (accessTokenExpiresWithin(tokens.access_token, 30)) {
        try {
          await selfdb.auth.refresh();
        } catch (err) {
          if (refused(err)) expired();
        }
        request.headers.set('Authorization', `Bearer ${selfdb.auth.tokens?.access_token ?? ''}`);
      }
    }
    const retry = request.headers.has('Authorization') ? request.clone() : null;
    const response = await fetch(request);
    if (response.status !== 401 || !retry || NO_RETRY.test(path)) return response;
    if (!selfdb.auth.tokens) return response;
    try {
      await selfdb.auth.refresh();
    } catch (err) {
      if (refused(err)) expired();
      return response;
    }
    retry.headers.set('Authorization', `Bearer ${selfdb.auth.tokens?.access_token ?? ''}`);
    return fetch(retry);
  };
}

export type SessionStatus = 'loading' | 'signed-out' | 'signed-in';

export interface Session {
  config: RuntimeConfig;
  selfdb: SelfDB;
  status: SessionStatus;
  user: UserRead | null;
  /** Why the user was signed out (shown on the sign-in page), e.g. an expired session. */
  notice: string | null;
  signIn(email: string, password: string): Promise<void>;
  /**
   * Ends the session: revokes the refresh token on the server, or with `{ serverSide: false }` only forgets the
   * tokens (when the server already ended every session, e.g. after a password change).
   */
  signOut(notice?: string, options?: { serverSide?: boolean }): Promise<void>;
  /** Reads /users/me again (after editing one's own profile). */
  reloadUser(): Promise<void>;
}

const SessionContext = createContext<Session | null>(null);

export function SessionProvider({ config, children }: { config: RuntimeConfig; children: ReactNode }) {
  const [status, setStatus] = useState<SessionStatus>('loading');
  const [user, setUser] = useState<UserRead | null>(null);
  const [notice, setNotice] = useState<string | null>(null);

  const selfdb = useMemo(() => {
    const expired = () => {
      instance.auth.setTokens(null);
      setUser(null);
      setStatus('signed-out');
      setNotice('Your session has expired. Sign in again.');
    };
    const instance: SelfDB = createSelfDB({
      baseUrl: config.apiUrl,
      apiKey: config.apiKey,
      fetch: refreshingFetch(() => instance, expired),
    });
    instance.auth.onTokensChange(storeTokens);
    return instance;
  }, [config]);

  // Another tab rotated or dropped the tokens: follow it, so both never spend the same refresh token.
  useEffect(() => {
    const onStorage = (event: StorageEvent) => {
      if (event.key !== TOKENS_KEY) return;
      const tokens = readStoredTokens();
      selfdb.auth.setTokens(tokens);
      if (!tokens) {
        setUser(null);
        setStatus('signed-out');
      }
    };
    window.addEventListener('storage', onStorage);
    return () => window.removeEventListener('storage', onStorage);
  }, [selfdb]);

  const loadUser = useCallback(async () => {
    const me = unwrap(await readUsersMe({ client: selfdb.client }));
    setUser(me);
    setStatus('signed-in');
  }, [selfdb]);

  useEffect(() => {
    const tokens = readStoredTokens();
    if (!tokens) {
      setStatus('signed-out');
      return;
    }
    selfdb.auth.setTokens(tokens);
    loadUser().catch((err: unknown) => {
      selfdb.auth.setTokens(null);
      setStatus('signed-out');
      if (err instanceof SelfDBError && err.status !== 401) setNotice(err.detail);
    });
  }, [selfdb, loadUser]);

  const session: Session = {
    config,
    selfdb,
    status,
    user,
    notice,
    async signIn(email, password) {
      await selfdb.auth.login(email, password);
      setNotice(null);
      await loadUser();
    },
    async signOut(message, options) {
      selfdb.realtime.disconnect();
      if (options?.serverSide === false) selfdb.auth.setTokens(null);
      else await selfdb.auth.logout().catch(() => undefined);
      setUser(null);
      setStatus('signed-out');
      setNotice(message ?? null);
    },
    reloadUser: loadUser,
  };
  return <SessionContext.Provider value={session}>{children}</SessionContext.Provider>;
}

export function useSession(): Session {
  const session = useContext(SessionContext);
  if (!session) throw new Error('useSession outside SessionProvider');
  return session;
}

/** The app's SelfDB client (for SDK calls: `fn({ client: useSelfDB().client, ... })`). */
export function useSelfDB(): SelfDB {
  return useSession().selfdb;
}
