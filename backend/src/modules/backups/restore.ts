// Restore, in steps that never overlap: (1) read the whole archive to disk and check it (gzip, member names and
// types, manifest sizes and checksums) before a single SQL statement runs: database.sql to a work folder, storage
// to a hidden folder inside the storage root; (2) load database.sql into a new staging database as a throwaway
// role without privileges, and migrate it as that role (staging.ts); (3) hand it to the live database's owner;
// (4) only then swap staging and live (swap.ts). Until the swap, the live database and storage are never written;
// any failure drops the staging database, the role and the folders, and leaves the previous data as it was.
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp } from 'node:fs/promises';
import { join } from 'node:path';
import { AppError, DB_ROLES } from '@selfdb/common';
import { ArchiveError, RestoreError } from './archive-error.ts';
import { extractArchive } from './archive-reader.ts';
import { listSettingNames } from './backups.repository.ts';
import { describeFsError, removeQuietly } from './fs-utils.ts';
import type { MaintenanceSession } from './maintenance.ts';
import type { Manifest } from './manifest.ts';
import { toolVersion } from './postgres-tools.ts';
import type { Progress } from './progress.ts';
import type { Redactor } from './redact.ts';
import { loaderRolePrefix, StagingDatabase } from './staging.ts';
import { findDatabaseOwner, findCurrentUser, roleExists } from './staging.repository.ts';
import { companionNames, recoverInterruptedRestore, swapIn } from './swap.ts';

export interface RestoreDeps {
  directUrl: string;
  pgBinDir: string;
  storageDir: string;
  /** Work files (database.sql) go in a hidden folder here. */
  backupsDir: string;
  migrationsDir: string;
  log: { info(message: string): void; warn(message: string): void };
  /** Learns the secrets of each archive (its .env values, the loader's password) to keep them out of messages. */
  redactor: Redactor;
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

/**
 * The load's failure as a RestoreError: psql's first error line (SqlLoadError), the statement the filter refused
 * (RefusedStatementError), or what the catalog check found (RestoreError).
 */
export function loadFailure(err: unknown): Error {
  if (err instanceof ArchiveError) return err;
  return new RestoreError(`database.sql could not be loaded: ${(err as Error).message}`);
}

/** Names of a staging database and its loader role next to the live database `live`. */
export function stagingNames(live: string, id: string) {
  return { ...companionNames(live, id), role: `${loaderRolePrefix(live)}${id}` };
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
  await recoverInterruptedRestore(client, live, deps.storageDir, deps.log, loaderRolePrefix(live));

  const id = randomBytes(4).toString('hex');
  const names = stagingNames(live, id);
  const stagedStorage = join(deps.storageDir, names.stagedStorage);
  await mkdir(deps.backupsDir, { recursive: true });
  const work = await mkdtemp(join(deps.backupsDir, '.selfdb-tmp-'));
  const sqlPath = join(work, 'database.sql');
  const skippedStatements: string[] = [];
  let staging: StagingDatabase | null = null;

  try {
    const [psqlVersion, knownSettings] = await Promise.all([
      toolVersion(deps.pgBinDir, 'psql'),
      listSettingNames(client),
    ]);
    // (1) The whole archive, checked, on disk: nothing runs before this returns.
    progress.phase('checking archive');
    const extracted = await extractArchive(archivePath, {
      sqlPath,
      storageDir: stagedStorage,
      onBytes: (bytes) => progress.addBytes(bytes),
      onFile: () => progress.addFile(),
    });
    deps.redactor.addEnv(extracted.envText);
    await mkdir(stagedStorage, { recursive: true });

    // (2) Loaded and migrated by the throwaway role.
    progress.phase('loading database', { bytes: extracted.members.get('database.sql')?.size ?? 0 });
    staging = await StagingDatabase.create(client, deps.directUrl, names.staging, live, names.role);
    deps.redactor.add(staging.secret);
    try {
      await staging.load(sqlPath, {
        pgBinDir: deps.pgBinDir,
        psqlVersion,
        knownSettings,
        onSkip: (line) => skippedStatements.push(line),
        onBytes: (bytes) => progress.addBytes(bytes),
      });
      await staging.assertLoadedSafely();
    } catch (err) {
      throw loadFailure(err);
    }
    for (const line of skippedStatements) deps.log.info(`restore: left out "${line}" (not for this server)`);

    progress.phase('migrating');
    let migrationsApplied: string[];
    try {
      migrationsApplied = await staging.migrate(deps.migrationsDir, deps.log);
    } catch (err) {
      throw new RestoreError(`The restored database could not be migrated: ${(err as Error).message}`);
    }

    // (3) Objects handed to selfdb_owner (where SelfDB manages its roles), the database to the live one's owner.
    const database = (await findDatabaseOwner(client, live)) ?? (await findCurrentUser(client)).name;
    const objects = (await roleExists(client, DB_ROLES.owner)) ? DB_ROLES.owner : database;
    try {
      await staging.handOver({ objects, database }, deps.log);
    } catch (err) {
      throw new RestoreError(`The restored database could not be handed over to ${objects}: ${(err as Error).message}`);
    }

    // (4) The swap.
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
    return {
      manifest: extracted.manifest,
      hasEnv: extracted.members.has('.env'),
      storageFiles: extracted.storageFiles,
      migrationsApplied,
      skippedStatements,
      durationMs: Date.now() - started,
    };
  } catch (err) {
    if (err instanceof ArchiveError || err instanceof RestoreError || err instanceof AppError) throw err;
    throw new RestoreError(
      `${describeFsError(err, `${deps.storageDir} or ${deps.backupsDir}`)}: the restore was abandoned, the previous data is in place`,
    );
  } finally {
    // After a swap the staging name is gone (it is the live database now): only the loader role could be left.
    await (staging as StagingDatabase | null)?.discard(deps.log);
    await removeQuietly(stagedStorage);
    await removeQuietly(work);
  }
}
