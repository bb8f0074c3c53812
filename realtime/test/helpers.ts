// Shared by the realtime suites: a realtime service on a fresh database (alone, or behind a backend), users and
// tokens made straight in SQL, user tables registered and captured, and a raw WebSocket client that speaks V1 or V2.
import type { AddressInfo } from 'node:net';
import { createJwtKey, signAccessToken } from '@selfdb/common';
import pg from 'pg';
import { pino } from 'pino';
import WebSocket from 'ws';
import {
  API_KEY,
  createTestDatabase,
  SECRET_KEY,
  startTestApp,
  type TestApp,
  type TestDatabase,
} from '../../backend/test/helpers.ts';
import { freePort } from '../../scripts/lib/processes.ts';
import { buildRealtime, type RealtimeService } from '../src/app.ts';
import { loadRealtimeConfig } from '../src/config.ts';

export { API_KEY, SECRET_KEY };

export interface TestRealtime {
  service: RealtimeService;
  port: number;
  /** `ws://127.0.0.1:<port>` */
  base: string;
  close(): Promise<void>;
}

/** The realtime environment a test instance gets: its database, direct connection, test keys. */
export function realtimeEnv(
  db: TestDatabase,
  overrides: Record<string, string> = {},
): Record<string, string> {
  return {
    API_KEY,
    SECRET_KEY,
    DIRECT_DATABASE_URL: db.directUrl,
    LOG_LEVEL: 'silent',
    ...overrides,
  };
}

/** Builds a realtime service on `db`, listening on a free port of 127.0.0.1, and waits until its feed is ready. */
export async function startRealtime(
  db: TestDatabase,
  overrides: Record<string, string> = {},
  port = 0,
): Promise<TestRealtime> {
  const service = buildRealtime(loadRealtimeConfig(realtimeEnv(db, overrides)), {
    logger: pino({ level: process.env.REALTIME_TEST_LOG ?? 'silent' }),
  });
  await new Promise<void>((resolve, reject) => {
    service.server.once('error', reject);
    service.server.listen(port, '127.0.0.1', () => resolve());
  });
  if (!(await service.feed.whenReady(10_000))) throw new Error('the change feed did not become ready');
  // Healthy (GET /health) once its LISTEN connection is up too.
  await waitUntil(() => service.feed.listening, 'the change feed to listen', 10_000);
  const actual = (service.server.address() as AddressInfo).port;
  return { service, port: actual, base: `ws://127.0.0.1:${actual}`, close: () => service.close() };
}

export { createTestDatabase, type TestDatabase };

export interface TestBackendWithRealtime {
  backend: TestApp;
  /** The backend's listening port (its `/realtime/socket` tunnels to `realtime`). */
  backendPort: number;
  realtime: TestRealtime;
  /** A client on the shared database. */
  sql: pg.Client;
  close(): Promise<void>;
}

/** A listening backend whose realtime proxy points at a realtime service on the same database. */
export async function startBackendWithRealtime(
  overrides: { backend?: Record<string, string>; realtime?: Record<string, string> } = {},
): Promise<TestBackendWithRealtime> {
  const realtimePort = await freePort();
  const backend = await startTestApp({
    REALTIME_URL: `http://127.0.0.1:${realtimePort}`,
    ...overrides.backend,
  });
  try {
    await backend.app.listen({ host: '127.0.0.1', port: 0 });
    const sql = await connectSql(backend.db);
    const realtime = await startRealtime(backend.db, overrides.realtime, realtimePort);
    return {
      backend,
      backendPort: (backend.app.server.address() as AddressInfo).port,
      realtime,
      sql,
      async close() {
        await realtime.close();
        await backend.close();
        await sql.end();
      },
    };
  } catch (err) {
    await backend.close();
    throw err;
  }
}

const jwtKey = createJwtKey(SECRET_KEY);

export interface TestUser {
  id: string;
  role: 'USER' | 'ADMIN';
  /** The session its tokens belong to (a refresh token row carries it, as a login makes). */
  sid: string;
  token: string;
}

/** Inserts a user with an open session and signs an access token for it (what a login through the backend makes). */
export async function createUser(
  sql: pg.Client,
  role: 'USER' | 'ADMIN' = 'USER',
  ttlSeconds = 600,
): Promise<TestUser> {
  const { rows } = await sql.query<{ id: string }>(
    `INSERT INTO users (email, password, first_name, last_name, role)
     VALUES (gen_random_uuid() || '@example.com', 'x', 'T', 'U', $1) RETURNING id`,
    [role],
  );
  const id = rows[0]!.id;
  const session = await sql.query<{ session_id: string }>(
    `INSERT INTO refresh_tokens (user_id, token_hash, expires_at)
     VALUES ($1, encode(sha256(gen_random_uuid()::text::bytea), 'hex'), NOW() + INTERVAL '1 day') RETURNING session_id`,
    [id],
  );
  const sid = session.rows[0]!.session_id;
  return { id, role, sid, token: await signAccessToken(jwtKey, { sub: id, role, sid }, ttlSeconds) };
}

export const signToken = (user: { id: string; role: 'USER' | 'ADMIN'; sid: string }, ttlSeconds: number) =>
  signAccessToken(jwtKey, { sub: user.id, role: user.role, sid: user.sid }, ttlSeconds);

/** Creates a user table `name (id serial, label text, n int)`, registers it and captures its changes. */
export async function createTable(
  sql: pg.Client,
  name: string,
  owner: { id: string },
  options: { public?: boolean; columns?: string } = {},
): Promise<void> {
  const columns = options.columns ?? 'id serial PRIMARY KEY, label text, n int, flag boolean, at timestamptz';
  await sql.query(`CREATE TABLE "${name}" (${columns})`);
  await sql.query(
    `INSERT INTO tables (name, table_schema, public, owner_id, realtime_enabled) VALUES ($1, '{}', $2, $3, true)`,
    [name, options.public ?? false, owner.id],
  );
  await sql.query(`SELECT realtime.enable_capture(to_regclass($1))`, [`public."${name}"`]);
}

export async function connectSql(db: TestDatabase): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: db.directUrl });
  await client.connect();
  return client;
}

/** The seqs of `table`'s committed changes after `after` (and matching `where`), in order: what a client must hold. */
export async function committedSeqs(
  sql: pg.Client,
  table: string,
  after: number,
  where = 'TRUE',
): Promise<number[]> {
  const { rows } = await sql.query<{ seq: number }>(
    `SELECT seq FROM realtime.changes WHERE table_name = $1 AND seq > $2 AND ${where} ORDER BY seq`,
    [table, after],
  );
  return rows.map((row) => Number(row.seq));
}

export type Frame = {
  topic: string;
  event: string;
  payload: Record<string, unknown>;
  ref: string | null;
  joinRef: string | null;
};

/** A raw WebSocket client: frames in, frames out, with waits on what arrives. */
export class RawClient {
  readonly frames: Frame[] = [];
  closeCode: number | null = null;
  closeReason = '';
  private ref = 0;
  private waiters: Array<() => void> = [];

  private constructor(
    readonly ws: WebSocket,
    readonly vsn: '1.0.0' | '2.0.0',
  ) {
    ws.on('message', (data) => {
      const parsed = JSON.parse(data.toString()) as unknown;
      if (Array.isArray(parsed)) {
        const [joinRef, ref, topic, event, payload] = parsed as [
          string | null,
          string | null,
          string,
          string,
          Record<string, unknown>,
        ];
        this.frames.push({ joinRef, ref, topic, event, payload });
      } else {
        const m = parsed as Record<string, unknown>;
        this.frames.push({
          joinRef: (m.join_ref as string | null) ?? null,
          ref: (m.ref as string | null) ?? null,
          topic: m.topic as string,
          event: m.event as string,
          payload: m.payload as Record<string, unknown>,
        });
      }
      this.notify();
    });
    ws.on('close', (code, reason) => {
      this.closeCode = code;
      this.closeReason = reason.toString();
      this.notify();
    });
  }

  private notify() {
    for (const wake of this.waiters.splice(0)) wake();
  }

  /** Opens a socket; rejects with the HTTP status when the upgrade is refused. */
  static open(
    url: string,
    vsn: '1.0.0' | '2.0.0' = '2.0.0',
    headers: Record<string, string> = {},
  ): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, { headers });
      ws.once('open', () => resolve(new RawClient(ws, vsn)));
      ws.once('unexpected-response', (_request, response) => {
        let body = '';
        response.on('data', (chunk: Buffer) => (body += chunk));
        response.on('end', () =>
          reject(
            Object.assign(new Error(`HTTP ${response.statusCode}`), { status: response.statusCode, body }),
          ),
        );
      });
      ws.once('error', reject);
    });
  }

  send(topic: string, event: string, payload: unknown = {}, joinRef: string | null = null): string {
    const ref = String(++this.ref);
    const frame =
      this.vsn === '2.0.0'
        ? [joinRef, ref, topic, event, payload]
        : { topic, event, payload, ref, ...(joinRef ? { join_ref: joinRef } : {}) };
    this.ws.send(JSON.stringify(frame));
    return ref;
  }

  /** Waits for the first frame (from `from` on) that matches. */
  async waitFor(match: (frame: Frame) => boolean, timeoutMs = 5000, from = 0): Promise<Frame> {
    const deadline = Date.now() + timeoutMs;
    let next = from;
    for (;;) {
      // Only frames that arrived since the last look are checked.
      for (; next < this.frames.length; next++) if (match(this.frames[next]!)) return this.frames[next]!;
      if (this.closeCode !== null)
        throw new Error(`socket closed (${this.closeCode} ${this.closeReason}) while waiting`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting; frames: ${JSON.stringify(this.frames.slice(-5))}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Sends an event and waits for its phx_reply. */
  async request(
    topic: string,
    event: string,
    payload: unknown = {},
    joinRef: string | null = null,
  ): Promise<Frame> {
    const ref = this.send(topic, event, payload, joinRef);
    return this.waitFor((frame) => frame.event === 'phx_reply' && frame.ref === ref && frame.topic === topic);
  }

  /** Joins a topic; resolves with the reply (`payload.status` ok or error). */
  async join(topic: string, payload: unknown = {}): Promise<Frame & { joinRef: string }> {
    const ref = String(this.ref + 1);
    const reply = await this.request(topic, 'phx_join', payload, ref);
    return { ...reply, joinRef: ref };
  }

  /** Change pushes received on a topic, in order. */
  changes(topic: string): Frame[] {
    return this.frames.filter((f) => f.topic === topic && ['insert', 'update', 'delete'].includes(f.event));
  }

  async waitForChanges(topic: string, count: number, timeoutMs = 5000): Promise<Frame[]> {
    await this.waitFor(() => this.changes(topic).length >= count, timeoutMs).catch((err: Error) => {
      throw new Error(`${topic}: got ${this.changes(topic).length} of ${count} changes (${err.message})`);
    });
    return this.changes(topic);
  }

  async waitClosed(timeoutMs = 5000): Promise<{ code: number; reason: string }> {
    const deadline = Date.now() + timeoutMs;
    while (this.closeCode === null) {
      if (Date.now() > deadline) throw new Error('the socket did not close');
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    return { code: this.closeCode, reason: this.closeReason };
  }

  close(): void {
    this.ws.terminate();
  }
}

export function socketUrl(
  base: string,
  params: Record<string, string | undefined> = {},
  path = '/socket/websocket',
): string {
  const url = new URL(path, base);
  for (const [key, value] of Object.entries({ 'X-API-Key': API_KEY, vsn: '2.0.0', ...params })) {
    if (value !== undefined) url.searchParams.set(key, value);
  }
  return url.toString();
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `check` every 10 ms until it holds; throws naming `what` after `timeoutMs`. */
export async function waitUntil(
  check: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 5000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}
