// Realtime client for SelfDB's Phoenix-protocol socket (docs/realtime-protocol.md), hand-written: it keeps each
// channel's last_seq and rejoins with it after any reconnect, so the server replays exactly what was missed.

/** The part of the WebSocket API this client uses (the browser's WebSocket, or the `ws` package in Node 20). */
export interface WebSocketLike {
  readonly readyState: number;
  onopen: ((event: unknown) => void) | null;
  onclose: ((event: { code: number; reason: string }) => void) | null;
  onerror: ((event: unknown) => void) | null;
  onmessage: ((event: { data: unknown }) => void) | null;
  send(data: string): void;
  close(code?: number, reason?: string): void;
}

export type WebSocketConstructor = new (url: string) => WebSocketLike;

export type TokenSource =
  string | null | undefined | (() => string | null | undefined | Promise<string | null | undefined>);

export interface RealtimeOptions {
  /** The API's base URL, as for the REST client: `http://localhost:8000`, or `https://<domain>/api` behind Caddy. */
  url: string;
  apiKey: string;
  /** The access token, or a function returning the current one (asked again at each connect and on expiry). */
  accessToken?: TokenSource;
  /** WebSocket implementation; `globalThis.WebSocket` by default (pass `ws`'s WebSocket on Node 20). */
  WebSocket?: WebSocketConstructor;
  heartbeatIntervalMs?: number;
  /** How long a join may wait for its reply. */
  timeoutMs?: number;
  /** Delay before reconnect attempt `n` (1, 2, ...): 500 ms doubling to 10 s by default. */
  reconnectDelayMs?: (attempt: number) => number;
}

export type ChangeEvent = 'INSERT' | 'UPDATE' | 'DELETE';

export interface ChangePayload<Row = Record<string, unknown>> {
  event: ChangeEvent;
  table: string;
  new: Row | null;
  old: Row | null;
  seq: number;
}

export interface JoinResponse {
  last_seq: number;
  resync_required?: boolean;
  filter?: string;
  realtime_enabled?: boolean;
}

/**
 * A join refused by the server (`code` from docs/ERROR_CODES.md, e.g. NOT_AUTHENTICATED, NOT_FOUND, FORBIDDEN,
 * INVALID_FILTER).
 */
export class RealtimeError extends Error {
  override name = 'RealtimeError';
  constructor(
    readonly reason: string,
    readonly code: string,
  ) {
    super(`${code}: ${reason}`);
  }
}

export interface ChannelOptions {
  /** Row filter, `column=operator.value` (eq, neq, gt, gte, lt, lte, like, ilike, in, is). */
  filter?: string;
  /** Resume after this seq (e.g. saved from an earlier session). */
  lastSeq?: number;
}

type Frame = [string | null, string | null, string, string, Record<string, unknown>];
type Listener = (payload: ChangePayload) => void;

// Refusals that a retry cannot fix: the channel stays closed and subscribe() rejects.
const FINAL_CODES = new Set([
  'NOT_AUTHENTICATED',
  'NOT_FOUND',
  'FORBIDDEN',
  'INVALID_FILTER',
  'TOO_MANY_CHANNELS',
  'BAD_REQUEST',
]);
const OPEN = 1;

export class RealtimeChannel {
  /** The last seq this channel has passed: sent as last_seq on every rejoin. */
  lastSeq: number | undefined;
  state: 'closed' | 'joining' | 'joined' | 'errored' = 'closed';
  joinRef: string | null = null;
  private readonly listeners: Array<[ChangeEvent | '*', Listener]> = [];
  private readonly resyncListeners: Array<(lastSeq: number) => void> = [];
  private readonly closeListeners: Array<(reason: string) => void> = [];
  private firstJoin: { resolve(r: JoinResponse): void; reject(e: Error): void } | null = null;
  private joinTimer: ReturnType<typeof setTimeout> | null = null;
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  private attempts = 0;

  constructor(
    private readonly client: RealtimeClient,
    readonly topic: string,
    private readonly options: ChannelOptions,
  ) {
    this.lastSeq = options.lastSeq;
  }

  /** Calls `listener` for each change of the given kind (`'*'`: all), in seq order, once each. */
  on(event: ChangeEvent | '*', listener: Listener): this {
    this.listeners.push([event, listener]);
    return this;
  }

  /** The server could not replay what this channel missed (pruned): refetch the table, changes follow from `lastSeq`. */
  onResync(listener: (lastSeq: number) => void): this {
    this.resyncListeners.push(listener);
    return this;
  }

  /** The server closed the channel for good (access revoked, table deleted) or a join was refused. */
  onClose(listener: (reason: string) => void): this {
    this.closeListeners.push(listener);
    return this;
  }

  /** Joins (connecting the client if needed); resolves with the first join's reply, rejects with RealtimeError. */
  subscribe(): Promise<JoinResponse> {
    const joined = new Promise<JoinResponse>((resolve, reject) => {
      this.firstJoin = { resolve, reject };
    });
    this.state = 'joining';
    this.client.connect();
    this.sendJoin();
    return joined;
  }

  /** Leaves the channel; no more callbacks. */
  unsubscribe(): void {
    if (this.state !== 'closed' && this.joinRef) this.client.push(this.topic, 'phx_leave', {}, this.joinRef);
    this.close('left');
  }

  /** @internal (re)sends the join when the socket is open. */
  sendJoin(): void {
    if (this.state === 'closed' || !this.client.isOpen()) return;
    this.state = 'joining';
    const payload: Record<string, unknown> = {};
    if (this.options.filter) payload.filter = this.options.filter;
    if (this.lastSeq !== undefined) payload.last_seq = this.lastSeq;
    this.joinRef = this.client.push(this.topic, 'phx_join', payload, null, (status, response) =>
      this.onJoinReply(status, response),
    );
    if (this.joinTimer) clearTimeout(this.joinTimer);
    this.joinTimer = setTimeout(() => this.retry(), this.client.timeoutMs);
  }

  /** @internal a frame for this channel's current join. */
  receive(event: string, payload: Record<string, unknown>): void {
    if (event === 'insert' || event === 'update' || event === 'delete') {
      const change = payload as unknown as ChangePayload;
      if (this.lastSeq !== undefined && change.seq <= this.lastSeq) return;
      this.lastSeq = change.seq;
      for (const [wanted, listener] of this.listeners)
        if (wanted === '*' || wanted === change.event) listener(change);
    } else if (event === 'resync_required') {
      this.lastSeq = payload.last_seq as number;
      for (const listener of this.resyncListeners) listener(this.lastSeq);
    } else if (event === 'token_expired') {
      void this.client.refreshToken();
    } else if (event === 'phx_close' && this.state !== 'closed') {
      this.close(String(payload.reason ?? 'closed by the server'));
    } else if (event === 'phx_error') {
      this.retry();
    }
  }

  /** @internal the socket dropped: rejoin once it is back. */
  disconnected(): void {
    if (this.state === 'closed') return;
    if (this.joinTimer) clearTimeout(this.joinTimer);
    this.state = 'errored';
  }

  private onJoinReply(status: string, response: Record<string, unknown>): void {
    if (this.joinTimer) clearTimeout(this.joinTimer);
    if (this.state === 'closed') return;
    if (status !== 'ok') {
      const error = new RealtimeError(
        String(response.reason ?? 'join refused'),
        String(response.code ?? 'ERROR'),
      );
      if (FINAL_CODES.has(error.code)) {
        this.firstJoin?.reject(error);
        this.firstJoin = null;
        this.close(error.message);
      } else this.retry();
      return;
    }
    const reply = response as unknown as JoinResponse;
    this.state = 'joined';
    this.attempts = 0;
    if (reply.resync_required) {
      this.lastSeq = reply.last_seq;
      for (const listener of this.resyncListeners) listener(reply.last_seq);
    } else if (this.lastSeq === undefined) {
      this.lastSeq = reply.last_seq;
    }
    this.firstJoin?.resolve(reply);
    this.firstJoin = null;
  }

  private retry(): void {
    if (this.state === 'closed') return;
    this.state = 'errored';
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => this.sendJoin(), this.client.reconnectDelay(++this.attempts));
  }

  private close(reason: string): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    for (const timer of [this.joinTimer, this.retryTimer]) if (timer) clearTimeout(timer);
    this.client.remove(this);
    for (const listener of this.closeListeners) listener(reason);
  }
}

/** One socket to SelfDB's realtime service, shared by any number of channels. */
export class RealtimeClient {
  readonly timeoutMs: number;
  private readonly options: RealtimeOptions;
  private readonly WebSocketImpl: WebSocketConstructor;
  private readonly channels = new Set<RealtimeChannel>();
  private readonly replies = new Map<string, (status: string, response: Record<string, unknown>) => void>();
  private socket: WebSocketLike | null = null;
  private wanted = false;
  private ref = 0;
  private attempts = 0;
  private heartbeatTimer: ReturnType<typeof setInterval> | null = null;
  private pendingHeartbeat: string | null = null;
  private reconnectTimer: ReturnType<typeof setTimeout> | null = null;
  private refreshing: Promise<void> | null = null;

  constructor(options: RealtimeOptions) {
    const WebSocketImpl = options.WebSocket ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
    if (!WebSocketImpl)
      throw new Error('no WebSocket implementation: pass the `ws` package as options.WebSocket');
    this.options = options;
    this.WebSocketImpl = WebSocketImpl;
    this.timeoutMs = options.timeoutMs ?? 10_000;
  }

  /** A channel on `table:<name>`; call `subscribe()` on it. */
  channel(topic: string, options: ChannelOptions = {}): RealtimeChannel {
    const channel = new RealtimeChannel(this, topic, options);
    this.channels.add(channel);
    return channel;
  }

  /** Opens the socket (channels call it on subscribe); reconnects by itself until `disconnect()`. */
  connect(): void {
    this.wanted = true;
    if (!this.socket && !this.reconnectTimer) void this.open();
  }

  disconnect(): void {
    this.wanted = false;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.reconnectTimer = null;
    this.stopHeartbeat();
    const socket = this.socket;
    this.socket = null;
    socket?.close(1000, 'client disconnect');
    for (const channel of this.channels) channel.disconnected();
  }

  isOpen(): boolean {
    return this.socket?.readyState === OPEN;
  }

  /** Sends the current token to the server (`access_token`): resumes a flow stopped by an expired token. */
  refreshToken(): Promise<void> {
    // Every channel hears `token_expired`; one refresh serves them all.
    this.refreshing ??= this.token()
      .then((token) => {
        if (token && this.isOpen()) this.push('phoenix', 'access_token', { access_token: token });
      })
      .catch(() => {})
      .finally(() => {
        this.refreshing = null;
      });
    return this.refreshing;
  }

  /** @internal */
  reconnectDelay(attempt: number): number {
    return this.options.reconnectDelayMs?.(attempt) ?? Math.min(500 * 2 ** (attempt - 1), 10_000);
  }

  /** @internal sends a frame; returns its ref. */
  push(
    topic: string,
    event: string,
    payload: Record<string, unknown>,
    joinRef: string | null = null,
    onReply?: (status: string, response: Record<string, unknown>) => void,
  ): string {
    const ref = String(++this.ref);
    if (onReply) this.replies.set(ref, onReply);
    this.socket?.send(JSON.stringify([event === 'phx_join' ? ref : joinRef, ref, topic, event, payload]));
    return ref;
  }

  /** @internal */
  remove(channel: RealtimeChannel): void {
    this.channels.delete(channel);
  }

  private async token(): Promise<string | null> {
    const source = this.options.accessToken;
    const value = typeof source === 'function' ? await source() : source;
    return value || null;
  }

  private async open(): Promise<void> {
    const url = new URL(`${this.options.url.replace(/\/+$/, '')}/realtime/socket/websocket`);
    url.protocol = url.protocol === 'https:' ? 'wss:' : url.protocol === 'http:' ? 'ws:' : url.protocol;
    url.searchParams.set('X-API-Key', this.options.apiKey);
    url.searchParams.set('vsn', '2.0.0');
    const token = await this.token().catch(() => null);
    if (token) url.searchParams.set('token', token);
    if (!this.wanted) return;
    const socket = new this.WebSocketImpl(url.toString());
    this.socket = socket;
    socket.onopen = () => {
      this.attempts = 0;
      this.startHeartbeat();
      for (const channel of this.channels) channel.sendJoin();
    };
    socket.onmessage = (event) => this.onFrame(String(event.data));
    socket.onerror = () => {};
    socket.onclose = () => {
      if (this.socket !== socket) return;
      this.socket = null;
      this.stopHeartbeat();
      this.replies.clear();
      for (const channel of this.channels) channel.disconnected();
      if (!this.wanted) return;
      this.reconnectTimer = setTimeout(() => {
        this.reconnectTimer = null;
        void this.open();
      }, this.reconnectDelay(++this.attempts));
    };
  }

  private onFrame(text: string): void {
    let frame: Frame;
    try {
      frame = JSON.parse(text) as Frame;
    } catch {
      return;
    }
    const [joinRef, ref, topic, event, payload] = frame;
    if (event === 'phx_reply' && ref !== null) {
      if (ref === this.pendingHeartbeat) this.pendingHeartbeat = null;
      const onReply = this.replies.get(ref);
      this.replies.delete(ref);
      onReply?.(String(payload.status), (payload.response ?? {}) as Record<string, unknown>);
      return;
    }
    for (const channel of this.channels) {
      if (channel.topic === topic && channel.joinRef === joinRef) channel.receive(event, payload);
    }
  }

  private startHeartbeat(): void {
    this.stopHeartbeat();
    this.heartbeatTimer = setInterval(() => {
      // No reply to the previous heartbeat: the connection is dead even if TCP has not noticed.
      if (this.pendingHeartbeat) {
        this.socket?.close(4000, 'heartbeat timeout');
        this.socket?.onclose?.({ code: 4000, reason: 'heartbeat timeout' });
        return;
      }
      this.pendingHeartbeat = this.push('phoenix', 'heartbeat', {});
    }, this.options.heartbeatIntervalMs ?? 30_000);
  }

  private stopHeartbeat(): void {
    if (this.heartbeatTimer) clearInterval(this.heartbeatTimer);
    this.heartbeatTimer = null;
    this.pendingHeartbeat = null;
  }
}

/** A realtime client for one SelfDB instance: `createRealtime({url, apiKey, accessToken}).channel('table:x')`. */
export function createRealtime(options: RealtimeOptions): RealtimeClient {
  return new RealtimeClient(options);
}
