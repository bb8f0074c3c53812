// Realtime fan-out (SPEC §5): committed rows reaching BENCH_SOCKETS subscribed sockets at BENCH_RATES changes/s,
// p50/p99 from commit to receipt, against the baseline of a bare pg LISTEN client receiving the same NOTIFYs in the
// same run; then the RSS of BENCH_IDLE_SOCKETS idle sockets on one realtime process. Each rate is measured in steady
// state: BENCH_WARMUP_SECONDS of writes at that rate go first and are not counted (the first changes after an idle
// spell pay for JIT compilation and cold caches).
// Usage: npm run bench:realtime   env: BENCH_RATES=100,250,500,1000  BENCH_SECONDS=10  BENCH_SOCKETS=1000
//        BENCH_IDLE_SOCKETS=10000  BENCH_WRITERS=4  BENCH_WARMUP_SECONDS=2  BENCH_BUDGET_SECONDS=600
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { connect as netConnect, type Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import WebSocket from 'ws';
import { runMigrations } from '../backend/src/db/migrate.ts';
import { freePort } from '../scripts/lib/processes.ts';
import { startTestStack, type TestStack } from '../scripts/lib/test-stack.ts';
import { startServiceBundle } from './lib/services.ts';
import { envNumber } from './lib/settings.ts';

const repoRoot = fileURLToPath(new URL('..', import.meta.url));
const API_KEY = 'bench-api-key-0123456789abcdef0123456789';
const SECRET_KEY = 'bench-secret-key-0123456789abcdef0123456789abcdef';
const TOPIC = 'table:bench_rows';
// Every SAMPLE_EVERY-th socket records when each change arrived: spread over the fan-out order, so the samples
// include the sockets served last.
const SAMPLE_EVERY = 50;

const now = () => performance.timeOrigin + performance.now();

// --- The client side, in a child process: it does not share the writer's event loop, and has its own fd limit --
// Most sockets are raw TCP connections that only count the change frames in their byte stream (server frames are
// not masked, so the payload text is there as sent); parsing every frame would make the harness, not the service,
// the bottleneck. Every SAMPLE_EVERY-th socket is a full `ws` client that parses frames and times their arrival.

type Command =
  { type: 'open'; count: number; join: boolean } | { type: 'reset' } | { type: 'report' } | { type: 'close' };

const MARKER = Buffer.from('"insert",');

/** A client-to-server text frame (those must be masked). Payloads here are short (< 126 bytes). */
function maskedTextFrame(text: string): Buffer {
  const payload = Buffer.from(text);
  const mask = randomBytes(4);
  const frame = Buffer.alloc(6 + payload.length);
  frame[0] = 0x81;
  frame[1] = 0x80 | payload.length;
  mask.copy(frame, 2);
  for (let i = 0; i < payload.length; i++) frame[6 + i] = payload[i]! ^ mask[i % 4]!;
  return frame;
}

function countMarkers(buffer: Buffer): number {
  let count = 0;
  for (let at = buffer.indexOf(MARKER); at >= 0; at = buffer.indexOf(MARKER, at + 1)) count++;
  return count;
}

/** Opens a WebSocket over plain TCP; `onBytes` gets everything after the handshake. */
function openRaw(url: URL, onBytes: (chunk: Buffer) => void): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = netConnect({ host: url.hostname, port: Number(url.port) });
    let head = Buffer.alloc(0);
    let upgraded = false;
    socket.once('error', reject);
    socket.on('connect', () => {
      socket.write(
        `GET ${url.pathname}${url.search} HTTP/1.1\r\nHost: ${url.host}\r\nUpgrade: websocket\r\n` +
          `Connection: Upgrade\r\nSec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\n` +
          'Sec-WebSocket-Version: 13\r\n\r\n',
      );
    });
    socket.on('data', (chunk: Buffer) => {
      if (upgraded) return onBytes(chunk);
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) return;
      if (!head.subarray(0, 12).toString().includes('101')) return reject(new Error(head.toString()));
      upgraded = true;
      resolve(socket);
      if (head.length > end + 4) onBytes(head.subarray(end + 4));
    });
  });
}

/** Which sockets a client process opens: the sampled (timed) ones, or the counting ones. */
type ClientRole = 'sampled' | 'counting';

function runClients(url: string, role: ClientRole): void {
  const port = {
    postMessage: (message: unknown) => process.send!(message),
    on: (event: 'message', listener: (command: Command) => void) => process.on(event, listener),
  };
  const target = new URL(url);
  const join = maskedTextFrame(JSON.stringify(['1', '1', TOPIC, 'phx_join', {}]));
  let raws: Socket[] = [];
  let parsers: WebSocket[] = [];
  let counts: number[] = [];
  let samples: number[] = [];
  let closedEarly = 0;
  const heartbeat = setInterval(() => {
    for (const socket of raws) socket.write(maskedTextFrame('[null,"0","phoenix","heartbeat",{}]'));
    for (const socket of parsers) {
      if (socket.readyState === WebSocket.OPEN) socket.send('[null,"0","phoenix","heartbeat",{}]');
    }
  }, 20_000);

  function openSampled(index: number, withJoin: boolean): Promise<void> {
    const socket = new WebSocket(url, { perMessageDeflate: false });
    parsers.push(socket);
    socket.on('close', () => closedEarly++);
    socket.on('message', (data: Buffer) => {
      if (data.indexOf(MARKER) < 0) return;
      counts[index]!++;
      const match = /"seq":(\d+)/.exec(data.toString('utf8'));
      if (match) samples.push(Number(match[1]), now());
    });
    return new Promise((resolve, reject) => {
      socket.once('error', reject);
      socket.once('open', () => {
        if (!withJoin) return resolve();
        socket.once('message', () => resolve());
        socket.send(JSON.stringify(['1', '1', TOPIC, 'phx_join', {}]));
      });
    });
  }

  async function openCounting(index: number, withJoin: boolean): Promise<void> {
    let joined: (() => void) | null = null;
    let tail = Buffer.alloc(0);
    const socket = await openRaw(target, (chunk) => {
      if (joined && chunk.indexOf('phx_reply') >= 0) {
        joined();
        joined = null;
      }
      // A marker may straddle two chunks: look at the seam, then inside the chunk.
      if (tail.length > 0)
        counts[index]! += countMarkers(Buffer.concat([tail, chunk.subarray(0, MARKER.length - 1)]));
      counts[index]! += countMarkers(chunk);
      tail = Buffer.from(chunk.subarray(Math.max(0, chunk.length - (MARKER.length - 1))));
    });
    raws.push(socket);
    socket.on('close', () => closedEarly++);
    if (!withJoin) return;
    await new Promise<void>((resolve) => {
      joined = resolve;
      socket.write(join);
    });
  }

  async function open(count: number, withJoin: boolean): Promise<void> {
    const started = counts.length;
    for (let batch = 0; batch < count; batch += 200) {
      const opening: Promise<void>[] = [];
      for (let i = batch; i < Math.min(batch + 200, count); i++) {
        const index = started + i;
        counts.push(0);
        const sampled = index % SAMPLE_EVERY === 0;
        if (sampled !== (role === 'sampled')) continue;
        opening.push(sampled ? openSampled(index, withJoin) : openCounting(index, withJoin));
      }
      await Promise.all(opening);
    }
  }

  port.on('message', (command: Command) => {
    void (async () => {
      if (command.type === 'open') {
        await open(command.count, command.join);
        port.postMessage({ type: 'opened' });
      } else if (command.type === 'reset') {
        counts = counts.map(() => 0);
        samples = [];
        port.postMessage({ type: 'reset' });
      } else if (command.type === 'report') {
        port.postMessage({ type: 'report', counts, samples, closedEarly });
      } else {
        for (const socket of raws) socket.removeAllListeners('close').destroy();
        for (const socket of parsers) socket.removeAllListeners('close').terminate();
        raws = [];
        parsers = [];
        counts = [];
        port.postMessage({ type: 'closed' });
      }
    })().catch((err: unknown) => port.postMessage({ type: 'error', message: String(err) }));
  });
  process.on('disconnect', () => {
    clearInterval(heartbeat);
    process.exit(0);
  });
}

// --- The main thread: stack, service, writer, baseline, report -------------------------------------------------

class ClientProcess {
  private readonly child: ChildProcess;
  private exited = false;
  constructor(url: string, role: ClientRole) {
    this.child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url)], {
      cwd: repoRoot,
      env: { ...process.env, BENCH_CLIENTS_URL: url, BENCH_CLIENTS_ROLE: role },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    this.child.once('exit', () => {
      this.exited = true;
    });
  }
  request<T>(command: Command): Promise<T> {
    return new Promise((resolve, reject) => {
      if (this.exited) return reject(new Error('the client process exited'));
      const onExit = () => reject(new Error('the client process exited'));
      const onMessage = (message: { type: string; message?: string }) => {
        this.child.off('message', onMessage);
        this.child.off('exit', onExit);
        if (message.type === 'error') reject(new Error(message.message));
        else resolve(message as T);
      };
      this.child.on('message', onMessage);
      this.child.once('exit', onExit);
      this.child.send(command);
    });
  }
  get pid(): number {
    return this.child.pid!;
  }
  terminate(): Promise<void> {
    if (this.exited) return Promise.resolve();
    return new Promise((resolve) => {
      this.child.once('exit', () => resolve());
      this.child.kill('SIGKILL');
    });
  }
}

interface ClientsReport {
  counts: number[];
  samples: number[];
  closedEarly: number;
}

/**
 * The subscribed sockets, in two processes: the timed sockets apart from the counting ones, as separate clients
 * are in real life. In one process, a timed socket's receipt would wait behind the reads of the hundreds of
 * sockets served before it in the same event-loop turn: a delay of the harness, not of the service. The index
 * order (every SAMPLE_EVERY-th socket is timed) and so the fan-out order are the same as with one process.
 */
class Clients {
  private readonly processes: ClientProcess[];
  constructor(url: string) {
    this.processes = [new ClientProcess(url, 'sampled'), new ClientProcess(url, 'counting')];
  }
  async request<T>(command: Command): Promise<T> {
    const answers = await Promise.all(this.processes.map((child) => child.request<T>(command)));
    if (command.type !== 'report') return answers[0]!;
    const reports = answers as ClientsReport[];
    const merged: ClientsReport = {
      counts: reports[0]!.counts.map((_, i) => reports.reduce((sum, report) => sum + report.counts[i]!, 0)),
      samples: reports.flatMap((report) => report.samples),
      closedEarly: reports.reduce((sum, report) => sum + report.closedEarly, 0),
    };
    return merged as T;
  }
  get pids(): number[] {
    return this.processes.map((child) => child.pid);
  }
  async terminate(): Promise<void> {
    await Promise.all(this.processes.map((child) => child.terminate()));
  }
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** utime + stime of a process, in seconds. */
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

function rssMiB(pid: number): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? 0);
  return { rss: kb('VmRSS') / 1024, peak: kb('VmHWM') / 1024 };
}

function startService(directUrl: string, port: number): Promise<ChildProcess> {
  return startServiceBundle(
    'realtime',
    {
      // Every benchmark socket comes from 127.0.0.1: no per-address limit, unless the caller sets one.
      REALTIME_MAX_SOCKETS_PER_ADDRESS: '0',
      // REALTIME_* settings of the caller reach the service (e.g. REALTIME_FLUSH_INTERVAL_MS=0 to compare).
      ...Object.fromEntries(
        Object.entries(process.env).filter((entry): entry is [string, string] =>
          entry[0].startsWith('REALTIME_'),
        ),
      ),
      API_KEY,
      SECRET_KEY,
      DIRECT_DATABASE_URL: directUrl,
      REALTIME_HOST: '127.0.0.1',
      REALTIME_INTERNAL_PORT: String(port),
      LOG_LEVEL: 'warn',
    },
    port,
  );
}

interface Step {
  target: number;
  committed: number;
  seconds: number;
  minReceived: number;
  lost: number;
  drainMs: number;
  p50: number;
  p99: number;
  max: number;
  baseP50: number;
  baseP99: number;
  cpu: number;
  clientsCpu: number;
  closed: number;
}

/** Inserts at `rate` changes/s for `seconds`, one change per transaction, over the writers' pool. */
async function write(writers: pg.Pool, rate: number, seconds: number, acks: Map<number, number>) {
  const sql = `INSERT INTO bench_rows (pad) VALUES ('${'x'.repeat(64)}'); SELECT currval('realtime.changes_seq_seq') AS seq`;
  const pending: Promise<void>[] = [];
  let due = 0;
  const started = Date.now();
  await new Promise<void>((resolve) => {
    const tick = setInterval(() => {
      if (Date.now() - started >= seconds * 1000) {
        clearInterval(tick);
        return resolve();
      }
      due += rate / 100;
      for (; due >= 1; due--) {
        pending.push(
          writers.query(sql).then((results) => {
            const last = (results as unknown as pg.QueryResult[])[1]!;
            acks.set(Number(last.rows[0].seq), now());
          }),
        );
      }
    }, 10);
  });
  await Promise.all(pending);
  return (Date.now() - started) / 1000;
}

async function main(): Promise<number> {
  const rates = (process.env.BENCH_RATES ?? '100,250,500,1000').split(',').map((r) => Number(r));
  if (rates.some((r) => !Number.isFinite(r) || r <= 0))
    throw new Error('BENCH_RATES must be positive numbers');
  const seconds = envNumber('BENCH_SECONDS', 10, 1);
  const warmupSeconds = envNumber('BENCH_WARMUP_SECONDS', 2, 0);
  const socketCount = Math.floor(envNumber('BENCH_SOCKETS', 1000, 1));
  const idleCount = Math.floor(envNumber('BENCH_IDLE_SOCKETS', 10_000, 0));
  const writerCount = Math.floor(envNumber('BENCH_WRITERS', 4, 1));
  const budget = envNumber('BENCH_BUDGET_SECONDS', 600, 30);

  let stack: TestStack | undefined;
  let service: ChildProcess | undefined;
  let clients: Clients | undefined;
  const connections: pg.Client[] = [];
  const pools: pg.Pool[] = [];
  const teardown = async () => {
    await clients?.terminate();
    clients = undefined;
    for (const connection of connections.splice(0)) await connection.end().catch(() => {});
    for (const pool of pools.splice(0)) await pool.end().catch(() => {});
    if (service && service.exitCode === null) {
      const exited = new Promise((resolve) => service!.once('exit', resolve));
      service.kill('SIGTERM');
      await exited;
    }
    const current = stack;
    stack = undefined;
    await current?.stop();
  };
  const watchdog = setTimeout(() => {
    console.error(`benchmark exceeded its ${budget} s budget; tearing down`);
    void teardown().finally(() => process.exit(1));
  }, budget * 1000);
  watchdog.unref();
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => void teardown().finally(() => process.exit(130)));
  }

  try {
    console.log('Starting a throwaway Postgres...');
    stack = await startTestStack(repoRoot);
    const admin = new pg.Client({ connectionString: stack.directUrl('postgres') });
    await admin.connect();
    await admin.query('CREATE DATABASE selfdb_bench_realtime');
    await admin.end();
    const directUrl = stack.directUrl('selfdb_bench_realtime');
    await runMigrations(directUrl, `${repoRoot}/database/migrations`, { info: () => {} });
    const connect = async () => {
      const client = new pg.Client({ connectionString: directUrl });
      await client.connect();
      connections.push(client);
      return client;
    };
    const sql = await connect();
    const { rows } = await sql.query(
      `INSERT INTO users (email, password, first_name, last_name) VALUES ('bench@bench.local', 'x', 'B', 'B') RETURNING id`,
    );
    await sql.query('CREATE TABLE bench_rows (id bigserial PRIMARY KEY, pad text)');
    await sql.query(
      `INSERT INTO tables (name, table_schema, public, owner_id, realtime_enabled) VALUES ('bench_rows', '{}', true, $1, true)`,
      [rows[0].id],
    );
    await sql.query(`SELECT realtime.enable_capture('public.bench_rows')`);

    const port = await freePort();
    service = await startService(directUrl, port);
    const pid = service.pid!;
    const socketUrl = `ws://127.0.0.1:${port}/socket/websocket?X-API-Key=${API_KEY}&vsn=2.0.0`;
    clients = new Clients(socketUrl);

    const baseline = await connect();
    const baselineArrivals = new Map<number, number>();
    baseline.on('notification', (message) => baselineArrivals.set(Number(message.payload), now()));
    await baseline.query('LISTEN selfdb_changes');
    const writers = new pg.Pool({ connectionString: directUrl, max: writerCount });
    pools.push(writers);

    let started = Date.now();
    await clients.request({ type: 'open', count: socketCount, join: true });
    console.log(
      `${socketCount} sockets joined ${TOPIC} in ${Date.now() - started} ms; service RSS ${rssMiB(pid).rss.toFixed(0)} MiB`,
    );

    const steps: Step[] = [];
    for (const rate of rates) {
      if (warmupSeconds > 0) {
        await write(writers, rate, warmupSeconds, new Map());
        await new Promise((resolve) => setTimeout(resolve, 1000)); // the warm-up's changes drain
      }
      await clients.request({ type: 'reset' });
      baselineArrivals.clear();
      const acks = new Map<number, number>();
      const cpuBefore = cpuSeconds(pid);
      const clientsCpuBefore = clients.pids.map(cpuSeconds);
      const elapsed = await write(writers, rate, seconds, acks);
      const cpu = (cpuSeconds(pid) - cpuBefore) / elapsed;
      const clientsCpu =
        clients.pids.reduce((sum, pid, i) => sum + cpuSeconds(pid) - clientsCpuBefore[i]!, 0) / elapsed;
      const committed = acks.size;
      const drainStarted = Date.now();
      let report: ClientsReport;
      for (;;) {
        report = await clients.request({ type: 'report' });
        const open = report.counts.length - report.closedEarly;
        const done = report.counts.filter((count) => count >= committed).length >= open;
        if (done || Date.now() - drainStarted > 30_000) break;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      const latencies: number[] = [];
      for (let i = 0; i < report.samples.length; i += 2) {
        const ack = acks.get(report.samples[i]!);
        if (ack !== undefined) latencies.push(report.samples[i + 1]! - ack);
      }
      const base: number[] = [];
      for (const [seq, at] of baselineArrivals) {
        const ack = acks.get(seq);
        if (ack !== undefined) base.push(at - ack);
      }
      latencies.sort((a, b) => a - b);
      base.sort((a, b) => a - b);
      const received = report.counts.reduce((sum, count) => sum + count, 0);
      steps.push({
        target: rate,
        committed,
        seconds: elapsed,
        minReceived: Math.min(...report.counts),
        lost: committed * report.counts.length - received,
        drainMs: Date.now() - drainStarted,
        p50: percentile(latencies, 50),
        p99: percentile(latencies, 99),
        max: latencies.at(-1) ?? Number.NaN,
        baseP50: percentile(base, 50),
        baseP99: percentile(base, 99),
        cpu,
        clientsCpu,
        closed: report.closedEarly,
      });
      const s = steps.at(-1)!;
      console.log(
        `rate ${rate}/s: committed ${committed} (${(committed / elapsed).toFixed(0)}/s), ` +
          `p50 ${s.p50.toFixed(1)} ms p99 ${s.p99.toFixed(1)} ms (baseline p99 ${s.baseP99.toFixed(1)} ms), ` +
          `undelivered ${s.lost}, closed ${s.closed}, CPU service ${(cpu * 100).toFixed(0)}% clients ${(clientsCpu * 100).toFixed(0)}%`,
      );
    }
    await clients.request({ type: 'close' });

    let idle:
      { sockets: number; before: number; rss: number; peak: number; perSocketKiB: number } | undefined;
    if (idleCount > 0) {
      await new Promise((resolve) => setTimeout(resolve, 1000));
      const before = rssMiB(pid).rss;
      started = Date.now();
      await clients.request({ type: 'open', count: idleCount, join: true });
      const openMs = Date.now() - started;
      await new Promise((resolve) => setTimeout(resolve, 3000));
      const { rss, peak } = rssMiB(pid);
      idle = { sockets: idleCount, before, rss, peak, perSocketKiB: ((rss - before) * 1024) / idleCount };
      console.log(`${idleCount} idle sockets (each joined to ${TOPIC}) opened in ${openMs} ms`);
      await clients.request({ type: 'close' });
    }

    console.log(
      '\nsockets  target/s  committed/s  delivered   p50 ms  p99 ms  max ms  LISTEN p50  LISTEN p99  drain ms  service CPU  clients CPU',
    );
    for (const s of steps) {
      const delivered = s.lost === 0 ? 'all' : `-${s.lost}`;
      console.log(
        [
          String(socketCount).padEnd(8),
          String(s.target).padStart(8),
          (s.committed / s.seconds).toFixed(0).padStart(11),
          delivered.padStart(10),
          s.p50.toFixed(1).padStart(8),
          s.p99.toFixed(1).padStart(7),
          s.max.toFixed(1).padStart(7),
          s.baseP50.toFixed(1).padStart(11),
          s.baseP99.toFixed(1).padStart(11),
          String(s.drainMs).padStart(9),
          `${(s.cpu * 100).toFixed(0)}%`.padStart(12),
          `${(s.clientsCpu * 100).toFixed(0)}%`.padStart(12),
        ].join(' '),
      );
    }
    if (idle) {
      console.log(
        `\n${idle.sockets} idle sockets: service RSS ${idle.rss.toFixed(0)} MiB (${idle.before.toFixed(0)} MiB before; ` +
          `${idle.perSocketKiB.toFixed(1)} KiB per socket; peak ${idle.peak.toFixed(0)} MiB). Goal: < 1024 MiB.`,
      );
    }
    const worst = steps.find((s) => s.target >= 1000);
    if (worst) {
      console.log(
        `1,000 changes/s to ${socketCount} sockets: p99 ${worst.p99.toFixed(1)} ms (goal < 50 ms), ` +
          `${worst.lost === 0 ? 'nothing lost' : `${worst.lost} frames not delivered`}.`,
      );
    }
    return steps.some((s) => s.lost > 0 && s.closed === 0) ? 1 : 0;
  } finally {
    clearTimeout(watchdog);
    await teardown();
  }
}

if (process.env.BENCH_CLIENTS_URL) {
  runClients(process.env.BENCH_CLIENTS_URL, process.env.BENCH_CLIENTS_ROLE as ClientRole);
} else {
  process.exitCode = await main().catch((err: unknown) => {
    console.error(err instanceof Error ? (err.stack ?? err.message) : err);
    return 1;
  });
}
