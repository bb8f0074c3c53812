// No committed change is lost or duplicated for a resuming client (SPEC §5, §6), whatever breaks mid-stream: a
// stream of 10,000 changes from concurrent writers (with rollbacks), while clients drop their connections, each
// of the two realtime processes is killed (SIGKILL) and restarted, and Postgres itself is restarted. Afterwards
// every client (the SDK's, and the official phoenix client resuming through a params function) holds exactly the
// committed sequence, in order. This suite runs on its own Postgres, so it can restart it.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { type Channel, Socket } from 'phoenix';
import WebSocket from 'ws';
import { runMigrations } from '../../backend/src/db/migrate.ts';
import { freePort } from '../../scripts/lib/processes.ts';
import { startTestStack, type TestStack } from '../../scripts/lib/test-stack.ts';
import {
  createRealtime,
  type RealtimeClient,
  type WebSocketConstructor,
} from '../../SDKs/typescript/src/realtime.ts';
import { API_KEY, createTable, createUser, SECRET_KEY, sleep, type TestUser } from './helpers.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const TOTAL = 10_000;
const WRITERS = 4;

let stack: TestStack;
let url: string;
let sql: pg.Client;
let owner: TestUser;
const services = new Map<string, { port: number; child: ChildProcess | null }>();
const cleanups: Array<() => void> = [];

async function startService(name: string): Promise<void> {
  const entry = services.get(name)!;
  const child = spawn(process.execPath, ['--import', 'tsx', 'realtime/src/server.ts'], {
    cwd: root,
    env: {
      PATH: process.env.PATH,
      API_KEY,
      SECRET_KEY,
      DIRECT_DATABASE_URL: url,
      REALTIME_HOST: '127.0.0.1',
      REALTIME_INTERNAL_PORT: String(entry.port),
      LOG_LEVEL: 'error',
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  entry.child = child;
  const deadline = Date.now() + 20_000;
  for (;;) {
    const healthy = await fetch(`http://127.0.0.1:${entry.port}/health`).then(
      (response) => response.ok,
      () => false,
    );
    if (healthy) return;
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`${name} did not start`);
    await sleep(50);
  }
}

function killService(name: string): Promise<void> {
  const child = services.get(name)!.child;
  return new Promise((resolve) => {
    if (!child || child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}

before(async () => {
  stack = await startTestStack(root);
  const admin = new pg.Client({ connectionString: stack.directUrl('postgres') });
  await admin.connect();
  await admin.query('CREATE DATABASE chaos');
  await admin.end();
  url = stack.directUrl('chaos');
  await runMigrations(url, `${root}/database/migrations`, { info: () => {} });
  sql = new pg.Client({ connectionString: url });
  await sql.connect();
  owner = await createUser(sql, 'USER');
  await createTable(sql, 'stream', owner, { public: true });
  services.set('a', { port: await freePort(), child: null });
  services.set('b', { port: await freePort(), child: null });
  await Promise.all([startService('a'), startService('b')]);
});

after(async () => {
  for (const cleanup of cleanups) cleanup();
  await killService('a');
  await killService('b');
  await sql?.end().catch(() => {});
  await stack?.stop();
});

/** One SDK client on a service, recording the seqs it is handed. */
function sdkClient(
  service: string,
  filter?: string,
): { client: RealtimeClient; seqs: number[]; ready: Promise<unknown> } {
  const seqs: number[] = [];
  const client = createRealtime({
    url: `http://127.0.0.1:${services.get(service)!.port}`,
    apiKey: API_KEY,
    accessToken: owner.token,
    WebSocket: WebSocket as unknown as WebSocketConstructor,
    reconnectDelayMs: (attempt) => Math.min(50 * attempt, 500),
    timeoutMs: 3000,
  });
  cleanups.push(() => client.disconnect());
  const ready = client
    .channel('table:stream', filter ? { filter } : {})
    .on('*', (change) => seqs.push(change.seq))
    .subscribe();
  return { client, seqs, ready };
}

/** The official phoenix client, resuming with the last seq it saw through a channel params function. */
function phoenixClient(service: string): { socket: Socket; seqs: number[]; ready: Promise<number> } {
  const seqs: number[] = [];
  let lastSeq: number | undefined;
  const socket = new Socket(`ws://127.0.0.1:${services.get(service)!.port}/socket`, {
    transport: WebSocket as unknown as new (endpoint: string) => object,
    params: { 'X-API-Key': API_KEY, token: owner.token },
    reconnectAfterMs: () => 100,
    rejoinAfterMs: () => 100,
    timeout: 3000,
  });
  cleanups.push(() => socket.disconnect());
  socket.connect();
  const channel: Channel = socket.channel('table:stream', () =>
    lastSeq === undefined ? {} : { last_seq: lastSeq },
  );
  channel.on('insert', (payload: { seq: number }) => {
    seqs.push(payload.seq);
    lastSeq = payload.seq;
  });
  const ready = new Promise<number>((resolve, reject) => {
    channel
      .join()
      .receive('ok', (response: { last_seq: number }) => {
        lastSeq ??= response.last_seq;
        resolve(response.last_seq);
      })
      .receive('error', (response: unknown) => reject(new Error(JSON.stringify(response))));
  });
  return { socket, seqs, ready };
}

/** Inserts until `TOTAL` rows committed, through Postgres restarts; some transactions roll back on purpose. */
async function writer(id: number, committed: { count: number }): Promise<void> {
  let client: pg.Client | null = null;
  let i = 0;
  while (committed.count < TOTAL) {
    try {
      if (!client) {
        client = new pg.Client({ connectionString: url });
        client.on('error', () => {});
        await client.connect();
      }
      i++;
      if (i % 50 === 0) {
        await client.query('BEGIN');
        await client.query(`INSERT INTO stream (label, n) VALUES ('rolled back', $1)`, [i]);
        await client.query('ROLLBACK');
      } else if (i % 10 === 0) {
        await client.query('BEGIN');
        await client.query(
          `INSERT INTO stream (label, n, flag) SELECT 'batch', g, g % 3 = 0 FROM generate_series(1, 5) AS g`,
        );
        await client.query('COMMIT');
        committed.count += 5;
      } else {
        await client.query(`INSERT INTO stream (label, n, flag) VALUES ($1, $2, $3)`, [
          `w${id}`,
          i,
          i % 3 === 0,
        ]);
        committed.count++;
      }
    } catch {
      await client?.end().catch(() => {});
      client = null;
      await sleep(50);
    }
  }
  await client?.end().catch(() => {});
}

test(`${TOTAL} changes through client drops, both services killed and Postgres restarted: nothing lost or repeated`, async () => {
  const start = Number(
    (await sql.query('SELECT COALESCE(max(seq), 0) AS m FROM realtime.changes')).rows[0].m,
  );
  const sdk = [sdkClient('a'), sdkClient('a'), sdkClient('b'), sdkClient('b')];
  const filtered = sdkClient('b', 'flag=eq.true');
  const phoenix = [phoenixClient('a'), phoenixClient('b')];
  await Promise.all([...sdk, filtered].map((c) => c.ready));
  const phoenixStarts = await Promise.all(phoenix.map((c) => c.ready));

  const committed = { count: 0 };
  const writing = Promise.all(Array.from({ length: WRITERS }, (_, id) => writer(id, committed)));
  const until = async (count: number) => {
    while (committed.count < count) await sleep(10);
  };

  await until(TOTAL * 0.1);
  for (const { client } of sdk.slice(0, 2)) {
    client.disconnect();
    client.connect();
  }
  await until(TOTAL * 0.25);
  await killService('a');
  await until(TOTAL * 0.3);
  await startService('a');
  await until(TOTAL * 0.45);
  await sql.end();
  await stack.restartPostgres('SIGINT');
  sql = new pg.Client({ connectionString: url });
  await sql.connect();
  await until(TOTAL * 0.65);
  await killService('b');
  await sleep(200);
  await startService('b');
  await until(TOTAL * 0.8);
  for (const { client } of sdk.slice(2)) {
    client.disconnect();
    client.connect();
  }
  await writing;

  const rows = (
    await sql.query<{ seq: number; flag: boolean }>(
      `SELECT seq, (new_row->>'flag')::boolean AS flag FROM realtime.changes
       WHERE table_name = 'stream' AND seq > $1 ORDER BY seq`,
      [start],
    )
  ).rows.map((row) => ({ seq: Number(row.seq), flag: row.flag }));
  assert.ok(rows.length >= TOTAL, `only ${rows.length} changes committed`);
  const all = rows.map((row) => row.seq);
  const flagged = rows.filter((row) => row.flag).map((row) => row.seq);

  const expectations: Array<[string, number[], number[]]> = [
    ...sdk.map((c, i): [string, number[], number[]] => [`sdk ${i}`, c.seqs, all]),
    ['sdk filtered', filtered.seqs, flagged],
    ...phoenix.map((c, i): [string, number[], number[]] => [
      `phoenix ${i}`,
      c.seqs,
      all.filter((seq) => seq > phoenixStarts[i]!),
    ]),
  ];
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline && expectations.some(([, got, want]) => got.length < want.length))
    await sleep(50);
  await sleep(200);
  for (const [name, got, want] of expectations) {
    if (got.length !== want.length) {
      const seen = new Set(got);
      const missing = want.filter((seq) => !seen.has(seq)).slice(0, 5);
      assert.fail(`${name}: ${got.length} of ${want.length} changes (first missing: ${missing})`);
    }
    assert.deepEqual(got, want, `${name} differs from the committed sequence`);
  }
});
