import { unwrap } from './errors.ts';
import type { Client } from './gen/client/index.ts';
import { loginForAccessToken, refreshAccessToken, logout as revokeRefreshToken } from './gen/sdk.gen.ts';
import type { TokenPair } from './gen/types.gen.ts';

export interface SelfDBAuth {
  /** Signs in and keeps the tokens, so every later request carries the bearer token. Rejects with SelfDBError. */
  login(email: string, password: string): Promise<TokenPair>;
  /** Exchanges the kept refresh token for a new pair (the server rotates it). Rejects with SelfDBError. */
  refresh(): Promise<TokenPair>;
  /** Revokes the kept refresh token on the server and forgets both tokens, even when the server call fails. */
  logout(): Promise<void>;
  /** The tokens in use, or null when signed out. */
  readonly tokens: TokenPair | null;
  /** Puts back tokens saved earlier (e.g. in storage), or null to forget them without calling the server. */
  setTokens(tokens: TokenPair | null): void;
  /**
   * Calls `listener` whenever the kept tokens change (login, refresh, logout, setTokens), e.g. to save them: a
   * refresh token is single-use, so a saved copy must follow every rotation. Returns a function that unsubscribes.
   */
  onTokensChange(listener: (tokens: TokenPair | null) => void): () => void;
}

/** Token handling for one client: installs a request interceptor that adds `Authorization: Bearer`. */
export function createAuth(client: Client): SelfDBAuth {
  let tokens: TokenPair | null = null;
  let pendingRefresh: Promise<TokenPair> | null = null;
  const listeners = new Set<(tokens: TokenPair | null) => void>();
  function keep(next: TokenPair | null): void {
    if (next === tokens) return;
    tokens = next;
    for (const listener of listeners) listener(next);
  }

  // Sent on every request while signed in, not only on operations whose OpenAPI entry declares HTTPBearer: routes
  // with optional auth (public tables and buckets) show the caller's private data only when the token comes along.
  // A header the caller set explicitly wins.
  client.interceptors.request.use((request) => {
    if (tokens && !request.headers.has('Authorization')) {
      request.headers.set('Authorization', `Bearer ${tokens.access_token}`);
    }
    return request;
  });

  async function refreshOnce(refreshToken: string): Promise<TokenPair> {
    const pair = unwrap(await refreshAccessToken({ client, body: { refresh_token: refreshToken } }));
    // A login or logout that happened meanwhile decides which tokens are current.
    if (tokens?.refresh_token === refreshToken) keep(pair);
    return pair;
  }

  return {
    get tokens() {
      return tokens;
    },
    setTokens(next) {
      keep(next);
    },
    onTokensChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async login(email, password) {
      const pair = unwrap(await loginForAccessToken({ client, body: { email, password } }));
      keep(pair);
      return pair;
    },
    refresh() {
      // One refresh at a time: the server treats a second use of the same refresh token as theft and revokes the
      // whole token family, so concurrent callers share the request that is already on its way.
      if (pendingRefresh) return pendingRefresh;
      const current = tokens?.refresh_token;
      if (!current) return Promise.reject(new Error('not signed in: call auth.login() first'));
      pendingRefresh = refreshOnce(current).finally(() => {
        pendingRefresh = null;
      });
      return pendingRefresh;
    },
    async logout() {
      const current = tokens;
      if (!current) return;
      try {
        unwrap(await revokeRefreshToken({ client, body: { refresh_token: current.refresh_token } }));
      } finally {
        if (tokens === current) keep(null);
      }
    },
  };
}
