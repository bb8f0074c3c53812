// @selfdb/sdk: the client generated from SelfDB's OpenAPI document (src/gen, never edited by hand) plus a small
// facade that configures it with the API key and keeps the session tokens.
import { createAuth, type SelfDBAuth } from './auth.ts';
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
}

export interface SelfDB {
  /** Pass it to the generated functions: `readUsersMe({ client: selfdb.client })`. */
  readonly client: Client;
  readonly auth: SelfDBAuth;
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
  return { client, auth: createAuth(client) };
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
export type { Client, Config, RequestResult } from './gen/client/index.ts';
export { createClient, createConfig } from './gen/client/index.ts';
export { client } from './gen/client.gen.ts';
export * from './gen/index.ts';
