// Backup and restore throughput: SelfDB's backup (pg_dump → work file, then tar + gzip in Node, manifest with a
// SHA-256 of every member, fsync, atomic name) and restore (streamed check + extraction, load into a staging
// database, migrations, swap) against the shell baseline `pg_dump > database.sql && tar -czf` and `tar -xzf &&
// psql -f`, on the same data in the same run. Then the restored data is checked against the original.
// Usage: npm run bench:backups   env: BENCH_ROWS=1000000, BENCH_FILES_MB=1024, BENCH_MIN_RATIO=0.7 (optional:
//                                     exit 1 when a ratio is below it)
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import {
  closeSync,
  createReadStream,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  rmSync,
  statSync,
  writeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { createPool } from '@selfdb/common';
import pg from 'pg';
import { loadConfig } from '../backend/src/config.ts';
import { runMigrations } from '../backend/src/db/migrate.ts';
import { createBackupsService } from '../backend/src/modules/backups/backups.service.ts';
import { startTestStack, type TestStack } from '../scripts/lib/test-stack.ts';

const run = promisify(execFile);
const repoRoot = fileURLToPath(new URL('..', import.meta.url));
const ROWS = Number(process.env.BENCH_ROWS ?? 1_000_000);
const FILES_MB = Number(process.env.BENCH_FILES_MB ?? 1024);
const MIN_RATIO = process.env.BENCH_MIN_RATIO ? Number(process.env.BENCH_MIN_RATIO) : null;

const mb = (bytes: number) => `${(bytes / (1024 * 1024)).toFixed(0)} MiB`;
const secondsOf = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

async function timed<T>(work: () => Promise<T>): Promise<{ ms: number; result: T }> {
  const started = performance.now();
  const result = await work();
  return { ms: performance.now() - started, result };
}

async function sql<T extends pg.QueryResultRow>(url: string, text: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(text)).rows;
  } finally {
    await client.end();
  }
}

/** Files of random (incompressible) bytes: many 1 MiB ones and a few of 64 MiB, FILES_MB in all. */
function writeFiles(root: string): void {
  const big = Math.floor(FILES_MB / 128);
  const small = FILES_MB - big * 64;
  const write = (path: string, mib: number) => {
    mkdirSync(join(path, '..'), { recursive: true });
    const fd = openSync(path, 'w');
    for (let i = 0; i < mib; i++) writeSync(fd, randomBytes(1024 * 1024));
    closeSync(fd);
  };
  for (let i = 0; i < big; i++) write(join(root, 'videos', `clip-${i}.bin`), 64);
  for (let i = 0; i < small; i++) write(join(root, 'photos', `album-${i % 16}`, `photo-${i}.jpg`), 1);
}

/** Highest RSS of this process while `work` runs (sampled every 50 ms). */
async function peakRss<T>(work: () => Promise<T>): Promise<{ result: T; rss: number }> {
  let rss = process.memoryUsage().rss;
  const timer = setInterval(() => {
    rss = Math.max(rss, process.memoryUsage().rss);
  }, 50);
  try {
    return { result: await work(), rss };
  } finally {
    clearInterval(timer);
  }
}

/** SHA-256 of every file below `dir`, keyed by path. */
async function folderHashes(dir: string, prefix = ''): Promise<Map<string, string>> {
  const hashes = new Map<string, string>();
  for (const entry of readdirSync(join(dir, prefix), { withFileTypes: true })) {
    const relative = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isDirectory()) {
      for (const [key, value] of await folderHashes(dir, relative)) hashes.set(key, value);
      continue;
    }
    const hash = createHash('sha256');
    for await (const piece of createReadStream(join(dir, relative), { highWaterMark: 1024 * 1024 }))
      hash.update(piece);
    hashes.set(relative, hash.digest('hex'));
  }
  return hashes;
}

const tableDigest = (url: string) =>
  sql<{ digest: string; n: number }>(
    url,
    "SELECT md5(string_agg(t::text, E'\\n' ORDER BY id)) AS digest, count(*)::int AS n FROM bench_rows t",
  ).then((rows) => rows[0]);

function connection(url: string) {
  const parsed = new URL(url);
  const env = { ...process.env, PGPASSWORD: decodeURIComponent(parsed.password) };
  parsed.password = '';
  return { url: parsed.toString(), env };
}

async function main(): Promise<number> {
  let stack: TestStack | undefined;
  const work = mkdtempSync(join(tmpdir(), 'selfdb-bench-backups-'));
  try {
    console.log('Starting a throwaway Postgres and PgBouncer...');
    stack = await startTestStack(repoRoot);
    await sql(stack.directUrl('postgres'), 'CREATE DATABASE bench_live');
    const liveUrl = stack.directUrl('bench_live');
    await runMigrations(liveUrl, join(repoRoot, 'database/migrations'), { info: () => {} });

    console.log(
      `Filling: ${ROWS.toLocaleString('en')} rows and ${mb(FILES_MB * 1024 * 1024)} of random files...`,
    );
    await sql(
      liveUrl,
      `CREATE TABLE bench_rows (id bigint PRIMARY KEY, name text NOT NULL, amount numeric(12,2), tags jsonb,
         created_at timestamptz NOT NULL DEFAULT now());
       INSERT INTO bench_rows SELECT g, 'customer ' || g || ' ' || md5(g::text), (g % 100000) / 100.0,
         jsonb_build_object('tier', g % 7, 'region', 'eu-' || (g % 5)), now() - (g || ' seconds')::interval
       FROM generate_series(1, ${ROWS}) g;
       ANALYZE bench_rows;`,
    );
    const storage = join(work, 'storage');
    writeFiles(storage);
    const before = { table: await tableDigest(liveUrl), files: await folderHashes(storage) };

    const backups = join(work, 'backups');
    mkdirSync(backups);
    const config = loadConfig({
      API_KEY: 'bench-api-key-0123456789abcdef0123456789',
      SECRET_KEY: 'bench-secret-key-0123456789abcdef0123456789abcdef',
      ADMIN_EMAIL: 'admin@bench.local',
      ADMIN_PASSWORD: 'BenchAdmin123',
      DATABASE_URL: stack.pooledUrl('bench_live'),
      DIRECT_DATABASE_URL: liveUrl,
      BACKUPS_DIR: backups,
      STORAGE_DATA_PATH: storage,
      BACKUP_ENV_FILE: 'none',
    });
    const pool = createPool(liveUrl, { max: 2 });
    const service = createBackupsService(config, pool, {
      info: () => {},
      warn: console.warn,
      error: console.error,
    });

    const baselineDir = join(work, 'baseline');
    mkdirSync(baselineDir);
    const baselineArchive = join(work, 'baseline.tar.gz');
    const target = connection(liveUrl);
    const baselineBackup = () =>
      timed(async () => {
        rmSync(baselineArchive, { force: true });
        await run(
          'pg_dump',
          [
            '--clean',
            '--if-exists',
            '--no-owner',
            '--no-privileges',
            '-f',
            join(baselineDir, 'database.sql'),
            `--dbname=${target.url}`,
          ],
          { env: target.env },
        );
        await run('tar', ['-czf', baselineArchive, '-C', baselineDir, 'database.sql', '-C', work, 'storage']);
        return statSync(baselineArchive).size;
      });
    let archive = '';
    let selfdbPeakRss = 0;
    const selfdbBackup = () =>
      timed(async () => {
        if (archive) rmSync(archive, { force: true });
        const { result: created, rss } = await peakRss(() => service.createBackup({ trigger: 'cli' }));
        selfdbPeakRss = Math.max(selfdbPeakRss, rss);
        archive = created.path;
        return created.size;
      });

    // ABBA: whichever runs first pays for cold caches; each side gets one first and one second place.
    console.log('Backups (ABBA)...');
    const backupRuns = { baseline: [] as number[], selfdb: [] as number[] };
    let sizes: { baseline: number; selfdb: number; dump?: number } = { baseline: 0, selfdb: 0 };
    for (const side of ['baseline', 'selfdb', 'selfdb', 'baseline'] as const) {
      const { ms, result } = side === 'baseline' ? await baselineBackup() : await selfdbBackup();
      backupRuns[side].push(ms);
      sizes = { ...sizes, [side]: result };
      console.log(`  ${side.padEnd(8)} ${secondsOf(ms)}  (${mb(result)})`);
    }

    sizes.dump = statSync(join(baselineDir, 'database.sql')).size;
    console.log('Restores...');
    await sql(stack.directUrl('postgres'), 'CREATE DATABASE bench_baseline_restore');
    const baselineTarget = connection(stack.directUrl('bench_baseline_restore'));
    const extracted = join(work, 'baseline-restore');
    mkdirSync(extracted);
    const baselineRestore = await timed(async () => {
      await run('tar', ['-xzf', baselineArchive, '-C', extracted]);
      await run(
        'psql',
        [
          '-X',
          '-q',
          '-v',
          'ON_ERROR_STOP=1',
          '-f',
          join(extracted, 'database.sql'),
          `--dbname=${baselineTarget.url}`,
        ],
        { env: baselineTarget.env, maxBuffer: 1 << 26 },
      );
    });
    console.log(`  baseline ${secondsOf(baselineRestore.ms)}`);
    rmSync(extracted, { recursive: true, force: true });
    // Restoring onto the live install: the changes made since are rolled back.
    await sql(liveUrl, 'DELETE FROM bench_rows WHERE id % 10 = 0');
    rmSync(join(storage, 'videos'), { recursive: true, force: true });
    const selfdbRestore = await timed(async () => {
      const { result, rss } = await peakRss(() => service.restoreFile(archive));
      selfdbPeakRss = Math.max(selfdbPeakRss, rss);
      return result;
    });
    console.log(
      `  selfdb   ${secondsOf(selfdbRestore.ms)}  (check, load, ${selfdbRestore.result.migrationsApplied.length} migrations, swap)`,
    );
    await pool.end();

    const after = { table: await tableDigest(liveUrl), files: await folderHashes(storage) };
    assert.deepEqual(after.table, before.table, 'the restored rows differ');
    assert.deepEqual([...after.files].sort(), [...before.files].sort(), 'the restored files differ');
    console.log(
      `Restored data identical: ${after.table?.n} rows (md5 ${after.table?.digest}), ${after.files.size} files (SHA-256 each)`,
    );

    const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;
    const backupRatio = mean(backupRuns.baseline) / mean(backupRuns.selfdb);
    const restoreRatio = baselineRestore.ms / selfdbRestore.ms;
    const total = FILES_MB * 1024 * 1024 + (sizes.dump ?? 0);
    console.log('\nSummary (goal: selfdb >= 70% of the baseline speed)\n');
    console.log('operation   selfdb     baseline   ratio    selfdb MiB/s (files + dump)');
    console.log(
      `backup      ${secondsOf(mean(backupRuns.selfdb)).padEnd(10)} ${secondsOf(mean(backupRuns.baseline)).padEnd(10)} ${(backupRatio * 100).toFixed(1)}%`.padEnd(
        48,
      ) + (total / 1048576 / (mean(backupRuns.selfdb) / 1000)).toFixed(0),
    );
    console.log(
      `restore     ${secondsOf(selfdbRestore.ms).padEnd(10)} ${secondsOf(baselineRestore.ms).padEnd(10)} ${(restoreRatio * 100).toFixed(1)}%`.padEnd(
        48,
      ) + (total / 1048576 / (selfdbRestore.ms / 1000)).toFixed(0),
    );
    console.log(
      `\narchive sizes: selfdb ${mb(sizes.selfdb)}, baseline ${mb(sizes.baseline)}; database.sql ${mb(sizes.dump ?? 0)}`,
    );
    console.log(`peak RSS of the process while SelfDB backed up and restored: ${mb(selfdbPeakRss)}`);
    if (MIN_RATIO !== null && (backupRatio < MIN_RATIO || restoreRatio < MIN_RATIO)) {
      console.error(`below BENCH_MIN_RATIO=${MIN_RATIO}`);
      return 1;
    }
    return 0;
  } finally {
    await stack?.stop();
    rmSync(work, { recursive: true, force: true });
  }
}

process.exitCode = await main().catch((err: unknown) => {
  console.error(err);
  return 1;
});
