// Storage throughput (SPEC §5): a 1 GiB file uploaded and downloaded through the backend, against a plain file copy
// on the same disk in the same run; peak RSS of the backend and storage processes; small-file uploads and downloads
// per second with 10 connections. The backend and the storage service run as their own processes (as in production),
// so their memory can be measured.
// Usage: npm run bench:storage   env: BENCH_FILE_MB=1024, BENCH_SECONDS=10 (small-file runs), BENCH_CONNECTIONS=10,
//        BENCH_SMALL_FILE_BYTES=1024, BENCH_DIR (work folder; default: the OS temp folder), BENCH_MIN_RATIO (optional:
//        fail below this upload or download ratio), BENCH_MAX_RSS_MB (optional: fail above it)
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { copyFile, open, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import type { FastifyInstance } from 'fastify';
import { request } from 'undici';
import { freePort } from '../scripts/lib/processes.ts';
import { BENCH_ADMIN, BENCH_API_KEY, BENCH_SECRET_KEY, loginAdmin, runBench } from './lib/harness.ts';
import { table } from './lib/report.ts';
import { envNumber } from './lib/settings.ts';

const repoRoot = fileURLToPath(new URL('..', import.meta.url));
const FILE_BYTES = envNumber('BENCH_FILE_MB', 1024, 1) * 1024 * 1024;
const SECONDS = envNumber('BENCH_SECONDS', 10, 1);
const CONNECTIONS = envNumber('BENCH_CONNECTIONS', 10, 1);
const SMALL_BYTES = envNumber('BENCH_SMALL_FILE_BYTES', 1024, 0);
const MIN_RATIO = process.env.BENCH_MIN_RATIO ? envNumber('BENCH_MIN_RATIO', 0, 0) : undefined;
const MAX_RSS_MB = process.env.BENCH_MAX_RSS_MB ? envNumber('BENCH_MAX_RSS_MB', 0, 1) : undefined;
const MIB = 1024 * 1024;

let activeLoad: { stop(): void } | undefined;

/** Reads a /proc/<pid>/status field in kB (Linux). */
function procStatusKb(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(match?.[1] ?? 0);
}

/** A bare node:http server that writes each request body to OUT and fsyncs it (the reference row). */
const BARE_HTTP_SERVER = `
const http = require('node:http'), fs = require('node:fs');
http.createServer((req, res) => {
  const out = fs.createWriteStream(process.env.OUT);
  req.pipe(out).on('finish', () => {
    const fd = fs.openSync(process.env.OUT, 'r+');
    fs.fsyncSync(fd);
    fs.closeSync(fd);
    res.end('ok');
  });
}).listen(Number(process.env.PORT), '127.0.0.1');`;

/** Starts a service as its own Node process and waits for its /health. */
async function startService(
  name: string,
  script: string,
  env: Record<string, string>,
  port: number,
  code?: string,
) {
  const args = code === undefined ? ['--import', 'tsx', script] : [script, code];
  const child = spawn(process.execPath, args, {
    cwd: repoRoot,
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${name} exited with ${child.exitCode} during start-up`);
    const healthy = await fetch(`http://127.0.0.1:${port}/health`).then(
      (r) => r.ok,
      () => false,
    );
    if (healthy) return child;
    if (Date.now() > deadline) throw new Error(`${name} was not healthy after 60 s`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

function stopService(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/** Writes `bytes` of pseudo-random data (varied per MiB, so no block repeats) and returns its SHA-256. */
async function writeSource(path: string, bytes: number): Promise<string> {
  const block = Buffer.alloc(MIB);
  for (let i = 0; i < MIB; i += 64) createHash('sha512').update(String(i)).digest().copy(block, i);
  const hash = createHash('sha256');
  await pipeline(
    (function* () {
      for (let sent = 0; sent < bytes; sent += MIB) {
        const chunk = Buffer.from(block.subarray(0, Math.min(MIB, bytes - sent)));
        chunk.writeUInt32LE(sent / MIB, 0);
        hash.update(chunk);
        yield chunk;
      }
    })(),
    createWriteStream(path),
  );
  await fsync(path);
  return hash.digest('hex');
}

async function fsync(path: string) {
  const handle = await open(path, 'r+');
  await handle.sync();
  await handle.close();
}

async function sha256Of(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path, { highWaterMark: MIB })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** Runs `work`, sampling the RSS of the given processes every 50 ms; returns seconds and the peaks (MiB). */
async function timed(pids: number[], work: () => Promise<void>) {
  const peaks = pids.map(() => 0);
  const sample = () =>
    pids.forEach((pid, i) => {
      peaks[i] = Math.max(peaks[i] ?? 0, procStatusKb(pid, 'VmRSS') / 1024);
    });
  const sampler = setInterval(sample, 50);
  const started = process.hrtime.bigint();
  try {
    await work();
  } finally {
    clearInterval(sampler);
  }
  sample();
  return { seconds: Number(process.hrtime.bigint() - started) / 1e9, peaks };
}

/** autocannon in this process (the servers are other processes); every request gets a fresh path via `path()`. */
function load(options: autocannon.Options): Promise<autocannon.Result> {
  return new Promise((resolve, reject) => {
    activeLoad = autocannon({ ...options, connections: CONNECTIONS, duration: SECONDS }, (err, result) => {
      activeLoad = undefined;
      if (err) reject(err instanceof Error ? err : new Error(String(err)));
      else resolve(result);
    });
  });
}

const mbps = (bytes: number, seconds: number) => bytes / MIB / seconds;

process.exitCode = await runBench(
  // Setup, a few 1 GiB transfers on a slow disk, two small-file runs, teardown.
  900 + 2 * SECONDS,
  { run: () => Promise.reject(new Error('unused')), stop: () => activeLoad?.stop() },
  async ({ config, apps }) => {
    const dir = mkdtempSync(join(process.env.BENCH_DIR || tmpdir(), 'selfdb-bench-storage-'));
    const children: ChildProcess[] = [];
    // Torn down with the apps (also on Ctrl-C or when the budget runs out): the services, then the work folder.
    apps.push({
      close: async () => {
        for (const child of children.splice(0)) await stopService(child);
        rmSync(dir, { recursive: true, force: true });
      },
    } as unknown as FastifyInstance);

    const [storagePort, backendPort] = [await freePort(), await freePort()];
    const storage = await startService(
      'storage',
      'storage/src/server.ts',
      {
        SECRET_KEY: BENCH_SECRET_KEY,
        STORAGE_PATH: join(dir, 'storage'),
        STORAGE_INTERNAL_PORT: String(storagePort),
        LOG_LEVEL: 'warn',
      },
      storagePort,
    );
    children.push(storage);
    const backend = await startService(
      'backend',
      'backend/src/server.ts',
      {
        API_KEY: BENCH_API_KEY,
        SECRET_KEY: BENCH_SECRET_KEY,
        DATABASE_URL: config.databaseUrl,
        DIRECT_DATABASE_URL: config.directDatabaseUrl,
        ADMIN_EMAIL: BENCH_ADMIN.email,
        ADMIN_PASSWORD: BENCH_ADMIN.password,
        BACKEND_PORT: String(backendPort),
        STORAGE_INTERNAL_PORT: String(storagePort),
        RUN_MIGRATIONS: 'false',
        LOG_LEVEL: 'warn',
        BACKUP_SCHEDULE_CRON: 'off',
        RATE_LIMIT_LOGIN_PER_ACCOUNT: '100000',
        RATE_LIMIT_LOGIN_PER_ADDRESS: '100000',
      },
      backendPort,
    );
    children.push(backend);
    const pids = [backend.pid ?? 0, storage.pid ?? 0];
    const base = `http://127.0.0.1:${backendPort}`;
    const token = await loginAdmin(base);
    const headers = { 'x-api-key': BENCH_API_KEY, authorization: `Bearer ${token}` };
    const bucketResponse = await fetch(`${base}/storage/buckets/`, {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'bench' }),
    });
    assert.equal(bucketResponse.status, 201, await bucketResponse.clone().text());
    const bucketId = ((await bucketResponse.json()) as { id: string }).id;

    const idleRss = pids.map((pid) => procStatusKb(pid, 'VmRSS') / 1024);
    console.log(`Writing a ${FILE_BYTES / MIB} MiB source file in ${dir}...`);
    const source = join(dir, 'source.bin');
    const sourceSha = await writeSource(source, FILE_BYTES);

    // Baseline: what any copy must do — read the bytes, write them, make them durable — with Node's streams (the
    // storage service's own tools), and with copyFile (the kernel's copy_file_range where available).
    const copyStreams = async (target: string) => {
      await pipeline(createReadStream(source, { highWaterMark: MIB }), createWriteStream(target));
      await fsync(target);
      rmSync(target);
    };
    const copyKernel = async (target: string) => {
      await copyFile(source, target);
      await fsync(target);
      rmSync(target);
    };

    const rows: string[][] = [['transfer', 'what', 'seconds', 'MiB/s', 'backend MiB', 'storage MiB']];
    const row = (label: string, what: string, result: Awaited<ReturnType<typeof timed>>) => {
      rows.push([
        label,
        what,
        result.seconds.toFixed(2),
        mbps(FILE_BYTES, result.seconds).toFixed(0),
        (result.peaks[0] ?? 0).toFixed(0),
        (result.peaks[1] ?? 0).toFixed(0),
      ]);
      return result.seconds;
    };

    console.log(
      'Plain copy (streams + fsync), plain copy (copyFile + fsync), upload, download, copies again...',
    );
    const copies: number[] = [];
    copies.push(
      row('copy 1', 'streams + fsync', await timed(pids, () => copyStreams(join(dir, 'copy.bin')))),
    );
    copies.push(
      row('copy 1', 'copyFile + fsync', await timed(pids, () => copyKernel(join(dir, 'copy.bin')))),
    );

    let fileId = '';
    const uploadSeconds = row(
      'upload',
      'POST /storage/files/upload',
      await timed(pids, async () => {
        const query = new URLSearchParams({ bucket_id: bucketId, filename: 'big.bin' });
        const response = await request(`${base}/storage/files/upload?${query}`, {
          method: 'POST',
          headers: {
            ...headers,
            'content-type': 'application/octet-stream',
            'content-length': String(FILE_BYTES),
          },
          body: createReadStream(source, { highWaterMark: MIB }),
        });
        const body = (await response.body.json()) as { file_id: string; size: number };
        assert.equal(response.statusCode, 201, JSON.stringify(body));
        assert.equal(body.size, FILE_BYTES);
        fileId = body.file_id;
      }),
    );
    const downloaded = join(dir, 'downloaded.bin');
    const downloadSeconds = row(
      'download',
      'GET /storage/files/download',
      await timed(pids, async () => {
        const response = await request(`${base}/storage/files/download/bench/big.bin`, { headers });
        assert.equal(response.statusCode, 200);
        await pipeline(response.body, createWriteStream(downloaded));
        await fsync(downloaded);
      }),
    );
    // For reference, not a goal: the least any Node.js HTTP service can do on this machine — a bare node:http
    // server that writes the body to a file and fsyncs it, without checks, hashing or a second hop.
    const barePort = await freePort();
    const bare = await startService(
      'bare http',
      '-e',
      { PORT: String(barePort), OUT: join(dir, 'bare.bin') },
      barePort,
      BARE_HTTP_SERVER,
    );
    children.push(bare);
    row(
      'reference',
      'bare node:http → file + fsync',
      await timed(pids, async () => {
        const response = await request(`http://127.0.0.1:${barePort}/upload`, {
          method: 'PUT',
          headers: { 'content-length': String(FILE_BYTES) },
          body: createReadStream(source, { highWaterMark: MIB }),
        });
        await response.body.dump();
      }),
    );
    await stopService(bare);
    rmSync(join(dir, 'bare.bin'), { force: true });
    copies.push(
      row('copy 2', 'streams + fsync', await timed(pids, () => copyStreams(join(dir, 'copy.bin')))),
    );
    copies.push(
      row('copy 2', 'copyFile + fsync', await timed(pids, () => copyKernel(join(dir, 'copy.bin')))),
    );

    // Integrity, outside the timings: the stored checksum and the downloaded bytes match the source.
    const meta = (await (await fetch(`${base}/storage/files/${fileId}`, { headers })).json()) as {
      checksum_sha256: string;
    };
    assert.equal(meta.checksum_sha256, sourceSha, 'stored checksum differs from the source');
    assert.equal((await stat(downloaded)).size, FILE_BYTES);
    assert.equal(await sha256Of(downloaded), sourceSha, 'downloaded bytes differ from the source');
    rmSync(downloaded);
    await fetch(`${base}/storage/files/${fileId}`, { method: 'DELETE', headers });

    // The baseline is the fastest plain copy measured: the ratios are the least flattering ones.
    const copySeconds = Math.min(...copies);
    const uploadRatio = copySeconds / uploadSeconds;
    const downloadRatio = copySeconds / downloadSeconds;

    console.log(
      `Small files: ${SMALL_BYTES}-byte uploads, then downloads, ${CONNECTIONS} connections, ${SECONDS} s each...`,
    );
    let counter = 0;
    const smallBody = Buffer.alloc(SMALL_BYTES, 7);
    let uploads: autocannon.Result | undefined;
    let downloads: autocannon.Result | undefined;
    const uploadPeaks = await timed(pids, async () => {
      uploads = await load({
        url: base,
        requests: [
          {
            method: 'POST',
            headers: { ...headers, 'content-type': 'application/octet-stream' },
            body: smallBody,
            setupRequest: (req) => ({
              ...req,
              path: `/storage/files/upload?bucket_id=${bucketId}&filename=s.bin&path=small/${++counter}.bin`,
            }),
          },
        ],
      });
    });
    const downloadPeaks = await timed(pids, async () => {
      downloads = await load({ url: `${base}/storage/files/download/bench/small/1.bin`, headers });
    });
    assert.ok(uploads && downloads);
    const smallRows = [
      ['small files', 'req/s', 'mean ms', 'p99 ms', 'requests', 'failed', 'backend MiB', 'storage MiB'],
      ...(
        [
          ['upload', uploads, uploadPeaks],
          ['download', downloads, downloadPeaks],
        ] as const
      ).map(([label, result, rss]) => [
        label,
        (result.requests.total / result.duration).toFixed(0),
        result.latency.mean.toFixed(2),
        String(result.latency.p99),
        String(result.requests.total),
        String(result.non2xx + result.errors + result.timeouts),
        (rss.peaks[0] ?? 0).toFixed(0),
        (rss.peaks[1] ?? 0).toFixed(0),
      ]),
    ];

    const peakRss = pids.map((pid) => procStatusKb(pid, 'VmHWM') / 1024);
    console.log(
      [
        '',
        `${FILE_BYTES / MIB} MiB through the backend vs a plain copy on the same disk (${dir})`,
        '',
        table(rows),
        '',
        `upload:   ${(uploadRatio * 100).toFixed(1)}% of the fastest plain copy (goal >= 70%)`,
        `download: ${(downloadRatio * 100).toFixed(1)}% of the fastest plain copy (goal >= 70%)`,
        `RSS after start-up, before any transfer: backend ${idleRss[0]?.toFixed(0)} MiB, storage ` +
          `${idleRss[1]?.toFixed(0)} MiB; peak over the whole run (VmHWM): backend ${peakRss[0]?.toFixed(0)} MiB, ` +
          `storage ${peakRss[1]?.toFixed(0)} MiB (goal < 200 MiB each)`,
        '',
        table(smallRows),
      ].join('\n'),
    );

    const failures = uploads.non2xx + uploads.errors + uploads.timeouts + downloads.non2xx + downloads.errors;
    if (failures > 0) {
      console.error(`invalid: ${failures} small-file requests failed`);
      return 1;
    }
    if (MIN_RATIO !== undefined && Math.min(uploadRatio, downloadRatio) < MIN_RATIO) {
      console.error(`a transfer ratio is below BENCH_MIN_RATIO=${MIN_RATIO}`);
      return 1;
    }
    if (MAX_RSS_MB !== undefined && Math.max(...peakRss) > MAX_RSS_MB) {
      console.error(`a peak RSS is above BENCH_MAX_RSS_MB=${MAX_RSS_MB}`);
      return 1;
    }
    return 0;
  },
);
