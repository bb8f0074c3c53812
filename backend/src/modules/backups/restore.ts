// Restore: check the archive while extracting it to staging (database.sql to a work folder, storage to a hidden
// folder inside the storage root), load database.sql into a new staging database as soon as it is out (while
// storage is still extracting), bring it to the current schema with the migration runner, and only then swap
// staging and live (swap.ts). Until that swap, the live database and storage are never written; any failure
// drops the staging database and folders and leaves the previous data as it was.
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp } from 'node:fs/promises';
import { join } from 'node:path';
import { AppError } from '@selfdb/common';
import { runMigrations } from '../../db/migrate.ts';
import { ArchiveError, RestoreError } from './archive-error.ts';
import { extractArchive } from './archive-reader.ts';
import { createDatabaseLike, dropDatabase, listSettingNames } from './backups.repository.ts';
import { describeFsError, removeQuietly } from './fs-utils.ts';
import type { MaintenanceSession } from './maintenance.ts';
import type { Manifest } from './manifest.ts';
import { toolVersion, withDatabase } from './postgres-tools.ts';
import type { Progress } from './progress.ts';
import { SqlLoad } from './sql-loader.ts';
import { companionNames, recoverInterruptedRestore, swapIn } from './swap.ts';

export interface RestoreDeps {
  directUrl: string;
  pgBinDir: string;
  storageDir: string;
  /** Work files (database.sql) go in a hidden folder here. */
  backupsDir: string;
  migrationsDir: string;
  log: { info(message: string): void; warn(message: string): void };
}

export interface RestoreHooks {
  /** Runs after everything checked out, right before live data is replaced; throwing aborts the restore. */
  beforeSwap?: () => Promise<void>;
}

export interface RestoreSummary {
  manifest: Manifest | null;
  /** The archive holds a .env (never applied). */
  hasEnv: boolean;
  storageFiles: number;
  migrationsApplied: string[];
  skippedStatements: string[];
  durationMs: number;
}

export async function restoreArchive(
  session: MaintenanceSession,
  deps: RestoreDeps,
  archivePath: string,
  progress: Progress,
  hooks: RestoreHooks = {},
): Promise<RestoreSummary> {
  const started = Date.now();
  const { client, database: live } = session;
  await mkdir(deps.storageDir, { recursive: true });
  await recoverInterruptedRestore(client, live, deps.storageDir, deps.log);

  const id = randomBytes(4).toString('hex');
  const names = companionNames(live, id);
  const stagingUrl = withDatabase(deps.directUrl, names.staging);
  const stagedStorage = join(deps.storageDir, names.stagedStorage);
  await mkdir(deps.backupsDir, { recursive: true });
  const work = await mkdtemp(join(deps.backupsDir, '.selfdb-tmp-'));
  const sqlPath = join(work, 'database.sql');
  const skippedStatements: string[] = [];
  let load: SqlLoad | null = null;
  let startLoad: Promise<void> | null = null;
  let stagingCreated = false;
  let loaded = 0;
  let loading = false;

  try {
    const [psqlVersion, knownSettings] = await Promise.all([
      toolVersion(deps.pgBinDir, 'psql'),
      listSettingNames(client),
    ]);
    progress.phase('checking archive');
    const extracted = await extractArchive(archivePath, {
      sqlPath,
      storageDir: stagedStorage,
      onBytes: (bytes) => progress.addBytes(bytes),
      onFile: () => progress.addFile(),
      onDatabaseSql: () => {
        startLoad = (async () => {
          await createDatabaseLike(client, names.staging, live);
          stagingCreated = true;
          load = new SqlLoad(stagingUrl, sqlPath, {
            pgBinDir: deps.pgBinDir,
            psqlVersion,
            knownSettings,
            onSkip: (line) => skippedStatements.push(line),
            onBytes: (bytes) => {
              loaded += bytes;
              if (loading) progress.addBytes(bytes);
            },
          });
        })();
        startLoad.catch(() => {});
      },
    });
    await mkdir(stagedStorage, { recursive: true });

    const sqlSize = extracted.members.get('database.sql')?.size ?? 0;
    progress.phase('loading database', { bytes: sqlSize });
    progress.addBytes(loaded);
    loading = true;
    try {
      await startLoad;
      await (load as SqlLoad | null)?.done;
    } catch (err) {
      throw new RestoreError(`database.sql could not be loaded: ${(err as Error).message}`);
    }
    for (const line of skippedStatements) deps.log.info(`restore: skipped "${line}" (not for this server)`);

    progress.phase('migrating');
    let migrationsApplied: string[];
    try {
      migrationsApplied = await runMigrations(stagingUrl, deps.migrationsDir, deps.log);
    } catch (err) {
      throw new RestoreError(`The restored database could not be migrated: ${(err as Error).message}`);
    }

    await hooks.beforeSwap?.();
    progress.phase('swapping');
    try {
      await swapIn(
        client,
        {
          live,
          staging: names.staging,
          previous: names.previous,
          storageRoot: deps.storageDir,
          stagedStorage,
          previousStorage: join(deps.storageDir, names.previousStorage),
        },
        deps.log,
      );
    } catch (err) {
      throw new RestoreError(`Putting the restored data in place failed, the previous data is kept: ${(err as Error).message}`);
    }
    stagingCreated = false;
    return {
      manifest: extracted.manifest,
      hasEnv: extracted.members.has('.env'),
      storageFiles: extracted.storageFiles,
      migrationsApplied,
      skippedStatements,
      durationMs: Date.now() - started,
    };
  } catch (err) {
    await (startLoad as Promise<void> | null)?.catch(() => {});
    (load as SqlLoad | null)?.abort();
    await (load as SqlLoad | null)?.done.catch(() => {});
    if (stagingCreated) await dropDatabase(client, names.staging).catch(() => {});
    if (err instanceof ArchiveError || err instanceof RestoreError || err instanceof AppError) throw err;
    throw new RestoreError(
      `${describeFsError(err, `${deps.storageDir} or ${deps.backupsDir}`)}: the restore was abandoned, the previous data is in place`,
    );
  } finally {
    await removeQuietly(stagedStorage);
    await removeQuietly(work);
  }
}
