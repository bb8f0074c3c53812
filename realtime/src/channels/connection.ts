import { type Actor, ErrorCode } from '@selfdb/common';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import type WebSocket from 'ws';
import type { RealtimeConfig } from '../config.ts';
import {
  decodeFrame,
  detectVsn,
  FrameError,
  type FrameWriter,
  frameWriter,
  type InboundMessage,
  jsonString,
  replyPayload,
  type Vsn,
} from '../protocol/frames.ts';
import type { Hub } from './hub.ts';
import { handleJoin } from './join.ts';
import type { Subscription } from './subscription.ts';
import { authenticate, type Identity, isTokenRefusal } from './tokens.ts';

/** WebSocket close codes the server uses (docs/realtime-protocol.md). */
export const CloseCode = {
  GOING_AWAY: 1001,
  UNSUPPORTED_DATA: 1003,
  MALFORMED: 1007,
  IDLE: 4000,
  /** Signed out: the token's session ended, or its user was deactivated or deleted (see `signOut`). */
  SIGNED_OUT: 4001,
  SLOW_CONSUMER: 4008,
} as const;

export interface ConnectionDeps {
  hub: Hub;
  jwtKey: Uint8Array;
  limits: RealtimeConfig['limits'];
  log: Logger;
}

const TERMINATE_AFTER_MS = 1000;

/** One WebSocket: decodes frames, answers heartbeats, and runs joins, leaves and token refreshes in order. */
export class Connection {
  /** How frames are written: the socket's protocol version, set by the handshake's `vsn` or by the first frame. */
  writer: FrameWriter;
  readonly channels = new Map<string, Subscription>();
  actor: Actor | null;
  /** When the access token expires (ms); null for anonymous sockets. */
  expiresAt: number | null;
  /** The access token's session (`sid`); null for anonymous sockets. */
  sessionId: string | null;
  /** The token expired: nothing is delivered until a fresh one arrives (`access_token`) or the client reconnects. */
  suspended = false;
  closed = false;
  lastSeen = Date.now();
  /** Joins accepted into the queue but not answered yet (they count against the channel limit). */
  pendingJoins = 0;
  /** Frames are being collected into one write (see `cork`). */
  corked = false;
  private queue: Promise<void> = Promise.resolve();

  constructor(
    readonly ws: WebSocket,
    /** The TCP socket under `ws` (the one the upgrade came on), corked while a batch of changes goes out. */
    private readonly raw: Duplex,
    /**
     * The protocol version; null until the first frame when the client did not say (`vsn` absent). The server
     * sends no frame before the client's first one, so every frame it sends is in the client's own format.
     */
    public vsn: Vsn | null,
    identity: Identity | null,
    readonly deps: ConnectionDeps,
  ) {
    // A placeholder until the first frame when `vsn` is null: nothing is written before it.
    this.writer = frameWriter(vsn ?? '1.0.0');
    this.actor = identity?.actor ?? null;
    this.expiresAt = identity?.expiresAt ?? null;
    this.sessionId = identity?.sessionId ?? null;
    ws.on('message', (data, isBinary) => this.onFrame(data, isBinary));
    ws.on('close', () => this.onClosed());
    ws.on('error', () => this.onClosed());
    deps.hub.addConnection(this);
  }

  /** Queues a text frame; a socket whose unsent bytes pass the limit is closed as a slow consumer. */
  send(frame: string | Buffer): void {
    if (this.closed) return;
    this.ws.send(frame, { binary: false });
    if (!this.corked) this.checkBuffer();
  }

  /**
   * Writes a complete WebSocket frame (see `textFrame`) to the socket. ws writes each of its own frames whole and
   * synchronously (no compression is configured, so it never queues), so these interleave with its frames safely.
   */
  sendFrame(frame: Buffer): void {
    if (this.closed || this.ws.readyState !== this.ws.OPEN) return;
    this.raw.write(frame);
    if (!this.corked) this.checkBuffer();
  }

  /**
   * Holds the frames sent until `uncork` and writes them with one system call: a batch of changes costs each
   * socket one write instead of one per change. A socket that still holds more than the limit from earlier writes
   * is closed first as a slow consumer: the limit applies to what a client left unread, not to the size of one
   * batch (a burst of big rows must not drop a client that keeps up), so the bytes held stay below the limit plus
   * one batch.
   */
  cork(): void {
    if (this.corked || this.closed) return;
    this.checkBuffer();
    if (this.closed) return;
    this.corked = true;
    this.raw.cork();
  }

  uncork(): void {
    if (!this.corked) return;
    this.corked = false;
    this.raw.uncork();
  }

  private checkBuffer(): void {
    if (this.ws.bufferedAmount > this.deps.limits.sendBufferBytes) {
      this.deps.hub.stats.drops++;
      this.close(
        CloseCode.SLOW_CONSUMER,
        `slow consumer: over ${this.deps.limits.sendBufferBytes} bytes waiting to be sent`,
      );
    }
  }

  /** Resolves once the send buffer is below half its limit (replays wait here, so they never overflow it). */
  async drained(): Promise<void> {
    while (!this.closed && this.ws.bufferedAmount > this.deps.limits.sendBufferBytes / 2) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  reply(message: InboundMessage, status: 'ok' | 'error', response: object): void {
    const joinRef = message.event === 'phx_join' ? (message.joinRef ?? message.ref) : message.joinRef;
    this.send(
      this.writer.frame(
        jsonString(message.topic),
        'phx_reply',
        replyPayload(status, response),
        jsonString(message.ref),
        jsonString(joinRef),
      ),
    );
  }

  /** Closes with a code and reason; the TCP connection is dropped soon after even if the client never reads. */
  close(code: number, reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.deps.hub.removeConnection(this);
    try {
      this.ws.close(code, reason);
    } catch {
      // already closing
    }
    setTimeout(() => this.ws.terminate(), TERMINATE_AFTER_MS).unref();
  }

  /**
   * Ends a socket whose credentials no longer hold (its token's session ended, its user was deactivated or
   * deleted): every channel gets `phx_close` with the reason and code (Phoenix clients do not rejoin a closed
   * channel), then the socket closes with 4001. Reconnecting with the same token is refused: the user signs in again.
   */
  signOut(reason: string, code: string): void {
    if (this.closed) return;
    for (const sub of [...this.channels.values()]) {
      sub.push('phx_close', { reason, code });
      this.dropChannel(sub);
    }
    this.close(CloseCode.SIGNED_OUT, reason);
  }

  /** Whether the access token has expired (an anonymous socket's never does). */
  tokenExpired(now = Date.now()): boolean {
    return this.expiresAt !== null && now >= this.expiresAt;
  }

  /** Stops the flow when the token expires; every channel is told so (`token_expired`). */
  expire(): void {
    if (this.suspended || this.closed) return;
    this.suspended = true;
    for (const sub of this.channels.values()) {
      sub.live = false;
      sub.push('token_expired', {
        reason: 'access token expired: send a fresh one with the access_token event, or reconnect',
      });
    }
  }

  dropChannel(sub: Subscription): void {
    if (this.channels.get(sub.topic) === sub) this.channels.delete(sub.topic);
    this.deps.hub.detach(sub);
  }

  /** Runs a task after the ones queued before it, so joins, leaves and refreshes of a socket keep their order. */
  enqueue(task: () => Promise<void>): void {
    this.queue = this.queue.then(task).catch((err: unknown) => {
      this.deps.log.error({ err }, 'channel task failed');
    });
  }

  private onClosed(): void {
    if (this.closed) return;
    this.closed = true;
    this.deps.hub.removeConnection(this);
  }

  private onFrame(data: WebSocket.RawData, isBinary: boolean): void {
    if (this.closed) return;
    this.lastSeen = Date.now();
    if (isBinary) {
      this.close(CloseCode.UNSUPPORTED_DATA, 'binary frames are not supported: send JSON text frames');
      return;
    }
    const text = data.toString();
    if (this.vsn === null) {
      const detected = detectVsn(text);
      if (!detected) {
        this.close(
          CloseCode.MALFORMED,
          'malformed frame: expected {"topic", "event", "payload", "ref"} or [join_ref, ref, topic, event, payload]',
        );
        return;
      }
      this.vsn = detected;
      this.writer = frameWriter(detected);
    }
    let message: InboundMessage;
    try {
      message = decodeFrame(text, this.vsn);
    } catch (err) {
      if (!(err instanceof FrameError)) throw err;
      this.close(CloseCode.MALFORMED, err.message);
      return;
    }
    this.route(message);
  }

  private route(message: InboundMessage): void {
    const { topic, event } = message;
    if (topic === 'phoenix') {
      if (event === 'heartbeat') this.reply(message, 'ok', {});
      else if (event === 'access_token') this.enqueue(() => this.refreshToken(message));
      else this.reply(message, 'error', { reason: `unknown event ${event}`, code: ErrorCode.BAD_REQUEST });
      return;
    }
    if (event === 'phx_join') {
      const { channelsPerSocket } = this.deps.limits;
      if (!this.channels.has(topic) && this.channels.size + this.pendingJoins >= channelsPerSocket) {
        this.reply(message, 'error', {
          reason: `too many channels: at most ${channelsPerSocket} per socket`,
          code: ErrorCode.TOO_MANY_CHANNELS,
        });
        return;
      }
      this.pendingJoins++;
      this.enqueue(async () => {
        try {
          await handleJoin(this, message);
        } finally {
          this.pendingJoins--;
        }
      });
      return;
    }
    const sub = this.channels.get(topic);
    if (event === 'phx_leave') {
      this.enqueue(async () => this.leave(message));
      return;
    }
    if (!sub) {
      this.reply(message, 'error', { reason: 'unmatched topic', code: ErrorCode.NOT_FOUND });
    } else if (event === 'access_token') {
      this.enqueue(() => this.refreshToken(message));
    } else if (event === 'ping') {
      this.reply(message, 'ok', { message: 'pong' });
    } else {
      this.reply(message, 'error', { reason: `unknown event ${event}`, code: ErrorCode.BAD_REQUEST });
    }
  }

  private leave(message: InboundMessage): void {
    const sub = this.channels.get(message.topic);
    // A leave for an earlier join of the topic (another join_ref) leaves the current one alone.
    if (sub && (message.joinRef === null || message.joinRef === sub.joinRef)) {
      this.dropChannel(sub);
      this.reply(message, 'ok', {});
      sub.push('phx_close', {});
      return;
    }
    this.reply(message, 'ok', {});
  }

  /** `access_token`: a fresh token for the same user resumes a stopped flow, replaying what it missed. */
  private async refreshToken(message: InboundMessage): Promise<void> {
    const token = (message.payload as { access_token?: unknown } | null)?.access_token;
    if (typeof token !== 'string' || token === '') {
      this.reply(message, 'error', {
        reason: 'payload must be {"access_token": "<jwt>"}',
        code: ErrorCode.BAD_REQUEST,
      });
      return;
    }
    const { hub, jwtKey } = this.deps;
    let result;
    try {
      result = await authenticate(hub, jwtKey, token);
    } catch {
      this.reply(message, 'error', { reason: 'database unavailable', code: ErrorCode.DATABASE_UNAVAILABLE });
      return;
    }
    if (this.closed) return;
    if (isTokenRefusal(result)) {
      this.reply(message, 'error', { reason: result.detail, code: result.code });
      return;
    }
    if (this.actor && this.actor.id !== result.actor.id) {
      this.reply(message, 'error', {
        reason: 'the token belongs to another user: reconnect to change users',
        code: ErrorCode.FORBIDDEN,
      });
      return;
    }
    hub.unindexUser(this);
    this.actor = result.actor;
    this.expiresAt = result.expiresAt;
    this.sessionId = result.sessionId;
    hub.indexUser(this);
    this.reply(message, 'ok', {
      expires_at: result.expiresAt === null ? null : new Date(result.expiresAt).toISOString(),
    });
    hub.recheckConnection(this);
    if (this.suspended) {
      this.suspended = false;
      for (const sub of this.channels.values()) void hub.catchUp(sub);
    }
  }
}
