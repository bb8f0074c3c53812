// @selfdb/sdk: the client generated from SelfDB's OpenAPI document (src/gen, never edited by hand) plus a small
// facade that configures it with the API key and keeps the session tokens.
import { createAuth, type SelfDBAuth } from './auth.ts';
import { accessTokenExpiresWithin } from './jwt.ts';
import { RealtimeClient, type RealtimeOptions } from './realtime.ts';
import { type Client, createClient, createConfig } from './gen/client/index.ts';
import type { ClientOptions } from './gen/types.gen.ts';

export interface SelfDBOptions {
  /** Where the API answers: `http://localhost:8000` in development, `https://<domain>/api` behind Caddy. */
  baseUrl: string;
  /** The instance's API_KEY, sent as `X-API-Key` on every request. */
  apiKey: string;
  /**
   * The client to configure; a new one by default. Pass the generated module's default `client` to call the SDK
   * functions without a `client` option (one SelfDB per program, e.g. a browser app). Configure a client once.
   */
  client?: Client;
  /** A fetch implementation (tests, proxies); the global fetch by default. */
  fetch?: typeof fetch;
  /**
   * Options of `selfdb.realtime` (heartbeat, timeouts, and on Node 20 the `ws` package's WebSocket as `WebSocket`).
   * It connects to the same `baseUrl` with the same key and the session's access token.
   */
  realtime?: Omit<RealtimeOptions, 'url' | 'apiKey' | 'accessToken'>;
}

export interface SelfDB {
  /** Pass it to the generated functions: `readUsersMe({ client: selfdb.client })`. */
  readonly client: Client;
  readonly auth: SelfDBAuth;
  /**
   * The realtime client of this instance, made on first use: `selfdb.realtime.channel('table:todos').on(...)`.
   * It joins with the signed-in user's access token, refreshed through `auth` when the server says it expired.
   */
  readonly realtime: RealtimeClient;
}

/** Configures a client for one SelfDB instance: API key header on every request, bearer token once signed in. */
export function createSelfDB(options: SelfDBOptions): SelfDB {
  const config = createConfig<ClientOptions>({
    baseUrl: options.baseUrl.replace(/\/+$/, ''),
    // The document lists X-API-Key as a header parameter of every operation; as a default header it satisfies all
    // of them, which is why the generated types mark it optional (see scripts/generate.ts).
    headers: { 'X-API-Key': options.apiKey },
    ...(options.fetch ? { fetch: options.fetch } : {}),
  });
  let client: Client;
  if (options.client) {
    client = options.client;
    client.setConfig(config);
  } else {
    client = createClient(config);
  }
  const auth = createAuth(client);
  let realtime: RealtimeClient | undefined;
  // The token the socket sends: the session's, refreshed first when it is about to expire (the server answers an
  // expired one with `token_expired`, and the realtime client asks again).
  async function currentAccessToken(): Promise<string | null> {
    const tokens = auth.tokens;
    if (!tokens) return null;
    if (accessTokenExpiresWithin(tokens.access_token, 30)) {
      await auth.refresh().catch(() => undefined);
    }
    return auth.tokens?.access_token ?? null;
  }
  return {
    client,
    auth,
    get realtime() {
      realtime ??= new RealtimeClient({
        ...options.realtime,
        url: options.baseUrl,
        apiKey: options.apiKey,
        accessToken: currentAccessToken,
      });
      return realtime;
    },
  };
}

export type { SelfDBAuth } from './auth.ts';
export {
  type ChangeEvent,
  type ChangePayload,
  type ChannelOptions,
  createRealtime,
  type JoinResponse,
  RealtimeChannel,
  RealtimeClient,
  RealtimeError,
  type RealtimeOptions,
  type TokenSource,
  type WebSocketConstructor,
  type WebSocketLike,
} from './realtime.ts';
export { type CallResult, SelfDBError, unwrap } from './errors.ts';
export {
  DEFAULT_CHUNK_SIZE,
  DEFAULT_RETRY_DELAYS,
  deleteResumableUpload,
  encodeUploadMetadata,
  isRetryable,
  nextChunk,
  parseOffset,
  type ResumableUploadOptions,
  type ResumableUploadResult,
  uploadIdFromLocation,
  uploadResumable,
} from './resumable.ts';
export { accessTokenExpiresWithin } from './jwt.ts';
export {
  type Filter,
  FILTER_OPERATORS,
  type FilterOperator,
  type FilterScalar,
  filterValue,
  type OrderBy,
  orderValue,
  type RowQuery,
  type RowQueryParams,
  rowQuery,
} from './query.ts';
export type { Client, Config, RequestResult } from './gen/client/index.ts';
export { createClient, createConfig } from './gen/client/index.ts';
export { client } from './gen/client.gen.ts';
export * from './gen/index.ts';
