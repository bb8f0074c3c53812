// backup-verify: restores an archive into a throwaway database and folder (loaded and migrated by a throwaway role
// without privileges, as a restore does: staging.ts) and compares what came back with the manifest (rows per
// table, every member's checksum) and with the files table (every file's bytes present), without touching the
// live database or storage. The throwaway database, role and folder are always removed.
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { ArchiveError, RestoreError } from './archive-error.ts';
import { extractArchive } from './archive-reader.ts';
import { countRows, listSettingNames, listStoredFiles, listTables } from './backups.repository.ts';
import { removeQuietly } from './fs-utils.ts';
import { openMaintenanceSession } from './maintenance.ts';
import { databaseOf, toolVersion, withClient } from './postgres-tools.ts';
import type { Progress } from './progress.ts';
import { loadFailure, type RestoreDeps } from './restore.ts';
import { loaderRolePrefix, StagingDatabase } from './staging.ts';
import { companionNames } from './swap.ts';

export interface TableCheck {
  table: string;
  expected: number | null;
  restored: number;
}

export interface VerifyReport {
  ok: boolean;
  hasManifest: boolean;
  members: number;
  storageFiles: number;
  tables: TableCheck[];
  migrationsApplied: string[];
  problems: string[];
  durationMs: number;
}


export async function verifyArchive(
  deps: RestoreDeps,
  archivePath: string,
  progress: Progress,
): Promise<VerifyReport> {
  const started = Date.now();
  const report: VerifyReport = {
    ok: false,
    hasManifest: false,
    members: 0,
    storageFiles: 0,
    tables: [],
    migrationsApplied: [],
    problems: [],
    durationMs: 0,
  };
  const live = databaseOf(deps.directUrl);
  const id = randomBytes(4).toString('hex');
  const name = companionNames(live, id).verify;
  // The backups folder may not exist yet: `selfdb.sh backup-verify` can check an archive kept anywhere.
  await mkdir(deps.backupsDir, { recursive: true });
  const work = await mkdtemp(join(deps.backupsDir, '.selfdb-tmp-verify-'));
  const storage = join(work, 'storage');
  const admin = await openMaintenanceSession(deps.directUrl).catch(async (err: unknown) => {
    await removeQuietly(work);
    throw err;
  });
  let staging: StagingDatabase | null = null;
  let step = 'Reading the archive';
  try {
    progress.phase('checking archive');
    const extracted = await extractArchive(archivePath, {
      sqlPath: join(work, 'database.sql'),
      storageDir: storage,
      onBytes: (bytes) => progress.addBytes(bytes),
      onFile: () => progress.addFile(),
    });
    deps.redactor.addEnv(extracted.envText);
    report.hasManifest = extracted.manifest !== null;
    report.members = extracted.members.size;
    report.storageFiles = extracted.storageFiles;

    step = 'Loading database.sql';
    progress.phase('loading database', { bytes: extracted.members.get('database.sql')?.size ?? null });
    staging = await StagingDatabase.create(admin, deps.directUrl, name, live, `${loaderRolePrefix(live, 'verify')}${id}`);
    deps.redactor.add(staging.secret);
    const loaded = staging;
    try {
      await loaded.load(join(work, 'database.sql'), {
        pgBinDir: deps.pgBinDir,
        psqlVersion: await toolVersion(deps.pgBinDir, 'psql'),
        knownSettings: await listSettingNames(admin),
        onBytes: (bytes) => progress.addBytes(bytes),
      });
      await loaded.assertLoadedSafely();
    } catch (err) {
      throw loadFailure(err);
    }

    step = 'Comparing with the manifest';
    progress.phase('comparing');
    // Counted before migrating: migrations may add rows, the manifest describes the dump.
    const expected = extracted.manifest?.tables ?? null;
    await withClient(loaded.loaderUrl, 'selfdb-verify', async (client) => {
      for (const table of await listTables(client)) {
        const restored = await countRows(client, table);
        const want = expected ? (expected[table.key] ?? null) : null;
        report.tables.push({ table: table.key, expected: want, restored });
        // A table the manifest does not count had its rows left out on purpose (the realtime outbox).
        if (expected && want !== restored && (want !== null || restored > 0)) {
          report.problems.push(`${table.key}: ${restored} rows restored, the manifest says ${want ?? 'none'}`);
        }
      }
      const present = new Set(report.tables.map((t) => t.table));
      for (const key of Object.keys(expected ?? {})) {
        if (!present.has(key)) report.problems.push(`${key}: in the manifest but not restored`);
      }
      for (const file of (await listStoredFiles(client)) ?? []) {
        const info = await stat(join(storage, file.bucket, file.path)).catch(() => null);
        if (!info?.isFile()) report.problems.push(`storage/${file.bucket}/${file.path}: in the files table, not in the archive`);
        else if (info.size !== file.size) {
          report.problems.push(`storage/${file.bucket}/${file.path}: ${info.size} bytes, the files table says ${file.size}`);
        }
      }
    });

    progress.phase('migrating');
    try {
      report.migrationsApplied = await loaded.migrate(deps.migrationsDir, deps.log);
    } catch (err) {
      report.problems.push(`The migrations do not apply to it: ${(err as Error).message}`);
    }
  } catch (err) {
    const known = err instanceof ArchiveError || err instanceof RestoreError;
    report.problems.push(known ? (err as Error).message : `${step} failed: ${(err as Error).message}`);
  } finally {
    await (staging as StagingDatabase | null)?.discard(deps.log);
    await admin.end().catch(() => {});
    await removeQuietly(work);
  }
  report.ok = report.problems.length === 0;
  report.durationMs = Date.now() - started;
  return report;
}
