// The command behind backup_now.sh, restore_from_backup.sh and `selfdb.sh backup-verify`, run where pg_dump,
// psql, the backups folder and the storage folder are reachable (natively, or inside the backend container).
// Usage: node --import tsx backend/src/modules/backups/cli.ts backup [--name SUFFIX]
//        node --import tsx backend/src/modules/backups/cli.ts restore|verify ARCHIVE   (ARCHIVE '-' reads stdin)
import { createWriteStream } from 'node:fs';
import { stat, unlink } from 'node:fs/promises';
import { basename, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { AppError, ConfigError, createPool } from '@selfdb/common';
import { loadConfig } from '../../config.ts';
import { MigrationError } from '../../db/migrate.ts';
import { receivingPath } from './archives.ts';
import { createBackupsService, formatMegabytes } from './backups.service.ts';
import type { Progress, ProgressSnapshot } from './progress.ts';

const USAGE =
  'Usage: cli.ts backup [--name SUFFIX] | check ARCHIVE | restore ARCHIVE | verify ARCHIVE   (ARCHIVE - reads stdin)';

const STEPS: Record<string, string[]> = {
  backup: ['dumping database', 'writing archive'],
  restore: ['checking archive', 'loading database', 'migrating', 'swapping'],
  verify: ['checking archive', 'loading database', 'comparing', 'migrating'],
};
const LABELS: Record<string, string> = {
  'dumping database': 'Dumping the database (pg_dump)',
  'writing archive': 'Writing the archive (database.sql, .env, storage/, manifest.json)',
  'checking archive': 'Checking and extracting the archive',
  'loading database': 'Loading database.sql into a staging database',
  migrating: 'Bringing the schema to this version (migrations)',
  swapping: 'Replacing the live database and storage',
  comparing: 'Comparing row counts and files with the manifest',
};

const human = (bytes: number) =>
  bytes >= 1024 * 1024 * 1024
    ? `${(bytes / 1024 ** 3).toFixed(2)} GB`
    : bytes >= 1024 * 1024
      ? formatMegabytes(bytes)
      : `${(bytes / 1024).toFixed(1)} KB`;
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)}s`;

function describeProgress(snapshot: ProgressSnapshot): string {
  const bytes = snapshot.bytes_total
    ? `${human(snapshot.bytes_done)} / ${human(snapshot.bytes_total)}`
    : human(snapshot.bytes_done);
  const files = snapshot.files_total ? `, ${snapshot.files_done}/${snapshot.files_total} files` : '';
  return `${bytes}${files}`;
}

/** Prints each step as it starts and, every second (TTY) or every 5 s (logs), how far it got. */
function reportProgress(operation: string, progress: Progress) {
  const steps = STEPS[operation] ?? [];
  const tty = process.stdout.isTTY;
  let line = '';
  const flush = () => {
    if (tty && line) process.stdout.write('\n');
    line = '';
  };
  progress.onPhase = (snapshot) => {
    flush();
    const index = steps.indexOf(snapshot.phase ?? '');
    console.log(`Step ${index + 1}/${steps.length} ${LABELS[snapshot.phase ?? ''] ?? snapshot.phase}`);
  };
  let last = '';
  const timer = setInterval(
    () => {
      const snapshot = progress.snapshot();
      if (!snapshot.running) return;
      const text = `  ${describeProgress(snapshot)}`;
      if (text === last) return;
      last = text;
      if (tty) {
        line = text;
        process.stdout.write(`\r${text.padEnd(60)}`);
      } else console.log(text);
    },
    tty ? 1000 : 5000,
  );
  return () => {
    clearInterval(timer);
    flush();
  };
}

/** `-` means the archive comes on stdin (Docker mode pipes a host file in): it is spooled to the backups folder. */
async function archivePath(argument: string, backupsDir: string): Promise<{ path: string; spooled: boolean }> {
  if (argument !== '-') return { path: resolve(argument), spooled: false };
  const path = await receivingPath(backupsDir);
  await pipeline(process.stdin, createWriteStream(path, { flags: 'wx', mode: 0o600 }));
  return { path, spooled: true };
}

async function main(args: string[]): Promise<number> {
  const [command, ...rest] = args;
  if (!command || command === '--help' || command === '-h') {
    console.log(USAGE);
    return command ? 0 : 2;
  }
  const config = loadConfig();
  const pool = createPool(config.directDatabaseUrl, { max: 2, applicationName: 'selfdb-backup-cli' });
  const log = {
    info: (message: string) => console.log(`  ${message.replace(/^(restore|backup): /, '')}`),
    warn: (message: string) => console.error(`selfdb: warning: ${message}`),
    error: () => {},
  };
  const service = createBackupsService(config, pool, log);
  const started = Date.now();
  const stop = reportProgress(command, service.progress);
  try {
    if (command === 'backup') {
      let suffix: string | null = null;
      if (rest[0] === '--name' && rest[1]) suffix = rest[1];
      else if (rest.length) throw new UsageError(`unexpected arguments: ${rest.join(' ')}`);
      const created = await service.createBackup({ trigger: 'cli', suffix });
      stop();
      const { manifest } = created;
      const rows = Object.values(manifest.tables).reduce((sum, n) => sum + n, 0);
      console.log(`Backup created: ${created.filename}`);
      console.log(`  size:     ${human(created.size)}`);
      console.log(`  duration: ${seconds(created.durationMs)}`);
      console.log(`  contents: database.sql (${Object.keys(manifest.tables).length} tables, ${rows} rows), ${manifest.storage.files} storage files (${human(manifest.storage.bytes)})`);
      console.log(`  location: ${created.path}`);
      return 0;
    }
    if (command === 'check') {
      if (rest.length !== 1) throw new UsageError('check takes one archive');
      const { path, spooled } = await archivePath(rest[0] as string, config.backups.dir);
      try {
        const checked = await service.check(path);
        console.log(
          `Archive OK: ${checked.members.size} members, ${checked.storageFiles} storage files, ${checked.manifest ? 'manifest checksums match' : 'no manifest (SelfDB 0.0.5?)'}`,
        );
        return 0;
      } finally {
        if (spooled) await unlink(path).catch(() => {});
      }
    }
    if (command === 'restore' || command === 'verify') {
      if (rest.length !== 1) throw new UsageError(`${command} takes one archive`);
      const { path, spooled } = await archivePath(rest[0] as string, config.backups.dir);
      try {
        const size = (await stat(path)).size;
        const name = spooled ? 'the archive from stdin' : basename(path);
        if (command === 'restore') {
          const summary = await service.restoreFile(path);
          stop();
          console.log(`Restored: ${name}`);
          console.log(`  size:       ${human(size)}`);
          console.log(`  duration:   ${seconds(Date.now() - started)}`);
          console.log(`  storage:    ${summary.storageFiles} files`);
          console.log(`  migrations: ${summary.migrationsApplied.length ? summary.migrationsApplied.join(', ') : 'none needed'}`);
          if (!summary.manifest) console.log('  (no manifest: an archive from SelfDB 0.0.5 or made by hand)');
          if (summary.hasEnv) console.log(`  .env:       in the archive, not applied (see it: tar -xzOf ARCHIVE .env)`);
          return 0;
        }
        const report = await service.verify(path);
        stop();
        console.log(`Verified: ${name} (${human(size)}) in ${seconds(report.durationMs)}`);
        console.log(`  manifest: ${report.hasManifest ? 'yes, every member checksum matches' : 'none (SelfDB 0.0.5 archive?)'}`);
        console.log(`  storage:  ${report.storageFiles} files`);
        for (const table of report.tables) {
          const expected = table.expected === null ? '' : ` (manifest: ${table.expected})`;
          console.log(`  ${table.table}: ${table.restored} rows${expected}`);
        }
        for (const problem of report.problems) console.log(`PROBLEM: ${problem}`);
        console.log(report.ok ? 'OK: the archive restores completely.' : `FAILED: ${report.problems.length} problem(s).`);
        return report.ok ? 0 : 1;
      } finally {
        if (spooled) await unlink(path).catch(() => {});
      }
    }
    throw new UsageError(`unknown command '${command}'`);
  } finally {
    stop();
    await pool.end();
  }
}

class UsageError extends Error {}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    if (err instanceof UsageError) {
      console.error(`selfdb: ${err.message}\n${USAGE}`);
      process.exitCode = 2;
    } else if (err instanceof AppError || err instanceof ConfigError || err instanceof MigrationError) {
      console.error(`selfdb: ${err.message}`);
      process.exitCode = 1;
    } else {
      console.error('selfdb: unexpected error:', err);
      process.exitCode = 1;
    }
  },
);
