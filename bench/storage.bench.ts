// Storage throughput (SPEC §5): a 1 GiB file uploaded and downloaded through the backend, against a plain file copy
// on the same disk in the same run; peak RSS of the backend and storage processes; small-file uploads and downloads
// per second with 10 connections. The backend and the storage service run as their own processes (as in production),
// so their memory can be measured, and run their bundles (scripts/build.ts), as production does.
// The client of the 1 GiB transfers is curl (needed on the PATH); copies and transfers alternate for BENCH_ROUNDS
// rounds and the medians are compared (this machine's disk speed varies from one second to the next).
// Usage: npm run bench:storage   env: BENCH_FILE_MB=1024, BENCH_ROUNDS=3, BENCH_SECONDS=10 (small-file runs),
//        BENCH_CONNECTIONS=10, BENCH_SMALL_FILE_BYTES=1024, BENCH_DIR (work folder; default: the OS temp folder), BENCH_MIN_RATIO (optional:
//        fail below this upload or download ratio), BENCH_MAX_RSS_MB (optional: fail above it)
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { copyFile, open, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import autocannon from 'autocannon';
import type { FastifyInstance } from 'fastify';
import { freePort, stopProcess } from '../scripts/lib/processes.ts';
import { BENCH_ADMIN, BENCH_API_KEY, BENCH_SECRET_KEY, loginAdmin, runBench } from './lib/harness.ts';
import { table } from './lib/report.ts';
import { startServiceBundle } from './lib/services.ts';
import { envNumber } from './lib/settings.ts';

const FILE_BYTES = envNumber('BENCH_FILE_MB', 1024, 1) * 1024 * 1024;
const SECONDS = envNumber('BENCH_SECONDS', 10, 1);
const CONNECTIONS = envNumber('BENCH_CONNECTIONS', 10, 1);
const SMALL_BYTES = envNumber('BENCH_SMALL_FILE_BYTES', 1024, 0);
const ROUNDS = envNumber('BENCH_ROUNDS', 3, 1);
const MIN_RATIO = process.env.BENCH_MIN_RATIO ? envNumber('BENCH_MIN_RATIO', 0, 0) : undefined;
const MAX_RSS_MB = process.env.BENCH_MAX_RSS_MB ? envNumber('BENCH_MAX_RSS_MB', 0, 1) : undefined;
const MIB = 1024 * 1024;

let activeLoad: { stop(): void } | undefined;

/** Reads a /proc/<pid>/status field in kB (Linux). */
function procStatusKb(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(match?.[1] ?? 0);
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
        for (const child of children.splice(0)) await stopProcess(child, 'SIGTERM');
        rmSync(dir, { recursive: true, force: true });
      },
    } as unknown as FastifyInstance);

    const [storagePort, backendPort] = [await freePort(), await freePort()];
    const storage = await startServiceBundle(
      'storage',
      {
        SECRET_KEY: BENCH_SECRET_KEY,
        STORAGE_PATH: join(dir, 'storage'),
        STORAGE_INTERNAL_PORT: String(storagePort),
        LOG_LEVEL: 'warn',
      },
      storagePort,
    );
    children.push(storage);
    const backend = await startServiceBundle(
      'backend',
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

    // Baselines: a plain copy of the file on the same disk, made durable (fsync), two ways: `cp` (copyFile, the
    // kernel's copy_file_range: no bytes through user space) and a user-space copy (read and write through 128 KiB
    // buffers, as `cat a > b` does: the work any program that receives bytes must do at least).
    const copyKernel = async (target: string) => {
      await copyFile(source, target);
      await fsync(target);
    };
    const copyUserSpace = async (target: string) => {
      await pipeline(
        createReadStream(source, { highWaterMark: 128 * 1024 }),
        createWriteStream(target, { highWaterMark: 128 * 1024 }),
      );
      await fsync(target);
    };
    // curl is the client, so the figures are the services' and not a Node.js client's (undici writing to a file
    // tops out near 200 MiB/s here). The download is made durable like the copies.
    const curl = async (args: string[]) => {
      const child = spawn('curl', ['--silent', '--show-error', '--fail', ...args], {
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      let out = '';
      child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
      const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
      if (code !== 0) throw new Error(`curl ${args.join(' ')} exited with ${code}: ${out}`);
      return out;
    };
    const auth = Object.entries(headers).flatMap(([name, value]) => ['--header', `${name}: ${value}`]);
    let fileId = '';
    const upload = async () => {
      const query = new URLSearchParams({ bucket_id: bucketId, filename: 'big.bin' });
      const body = JSON.parse(
        await curl([
          ...auth,
          '--header',
          'content-type: application/octet-stream',
          '--upload-file',
          source,
          '--request',
          'POST',
          `${base}/storage/files/upload?${query}`,
        ]),
      ) as { file_id: string; size: number };
      assert.equal(body.size, FILE_BYTES);
      fileId = body.file_id;
    };
    const downloaded = join(dir, 'downloaded.bin');
    const download = async () => {
      await curl([...auth, '--output', downloaded, `${base}/storage/files/download/bench/big.bin`]);
      await fsync(downloaded);
    };

    const rows: string[][] = [['round', 'transfer', 'seconds', 'MiB/s', 'backend MiB', 'storage MiB']];
    const runs: Record<'cp' | 'user' | 'upload' | 'download', number[]> = {
      cp: [],
      user: [],
      upload: [],
      download: [],
    };
    const measure = async (
      round: number,
      kind: keyof typeof runs,
      label: string,
      work: () => Promise<void>,
    ) => {
      const result = await timed(pids, work);
      runs[kind].push(result.seconds);
      rows.push([
        String(round),
        label,
        result.seconds.toFixed(2),
        mbps(FILE_BYTES, result.seconds).toFixed(0),
        (result.peaks[0] ?? 0).toFixed(0),
        (result.peaks[1] ?? 0).toFixed(0),
      ]);
    };
    console.log(
      `${ROUNDS} rounds of: cp, user-space copy, upload, download (each file removed before the next)...`,
    );
    const copy = join(dir, 'copy.bin');
    for (let round = 1; round <= ROUNDS; round++) {
      await measure(round, 'cp', 'plain copy: cp (copyFile) + fsync', () => copyKernel(copy));
      rmSync(copy);
      await measure(round, 'user', 'plain copy: read/write 128 KiB + fsync', () => copyUserSpace(copy));
      rmSync(copy);
      await measure(round, 'upload', 'upload: POST /storage/files/upload', upload);
      await measure(round, 'download', 'download: GET /storage/files/download', download);
      // Integrity, outside the timings: the stored checksum and the downloaded bytes match the source.
      const meta = (await (await fetch(`${base}/storage/files/${fileId}`, { headers })).json()) as {
        checksum_sha256: string;
      };
      assert.equal(meta.checksum_sha256, sourceSha, 'stored checksum differs from the source');
      assert.equal((await stat(downloaded)).size, FILE_BYTES);
      if (round === 1) assert.equal(await sha256Of(downloaded), sourceSha, 'downloaded bytes differ');
      rmSync(downloaded);
      const deleted = await fetch(`${base}/storage/files/${fileId}`, { method: 'DELETE', headers });
      assert.equal(deleted.status, 204);
    }

    const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
    // The baseline is the faster plain copy (by median): the ratios are the least flattering ones.
    const copySeconds = Math.min(median(runs.cp), median(runs.user));
    const uploadRatio = copySeconds / median(runs.upload);
    const downloadRatio = copySeconds / median(runs.download);
    const userRatio = (kind: 'upload' | 'download') => (median(runs.user) / median(runs[kind])) * 100;

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
        `medians of ${ROUNDS} rounds: cp ${median(runs.cp).toFixed(2)} s, user-space copy ${median(runs.user).toFixed(2)} s, ` +
          `upload ${median(runs.upload).toFixed(2)} s, download ${median(runs.download).toFixed(2)} s`,
        `upload:   ${(uploadRatio * 100).toFixed(1)}% of the faster plain copy (goal >= 70%); ` +
          `${userRatio('upload').toFixed(1)}% of the user-space copy`,
        `download: ${(downloadRatio * 100).toFixed(1)}% of the faster plain copy (goal >= 70%); ` +
          `${userRatio('download').toFixed(1)}% of the user-space copy`,
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
