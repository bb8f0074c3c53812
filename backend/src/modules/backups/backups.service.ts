// Backups and restores as the API, the scheduler and the CLI see them: admin checks, one operation at a time
// (in this process, and across processes and replicas through the advisory lock of maintenance.ts), progress,
// and the mapping of failures to error codes.
import { createReadStream } from 'node:fs';
import { open, stat, unlink } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { type Actor, AppError, ErrorCode, isAdmin, type Queryable } from '@selfdb/common';
import type { Config } from '../../config.ts';
import { findSystemInitialized } from '../system/system.repository.ts';
import { ArchiveError, RestoreError } from './archive-error.ts';
import { extractArchive } from './archive-reader.ts';
import { isArchiveFileName, SUFFIX_PATTERN } from './archive-names.ts';
import { BackupWriteError, type CreatedArchive, createArchive } from './archive-writer.ts';
import { listArchives, receivingPath, removeStaleWork } from './archives.ts';
import { findMigrationLevel, findServerVersion, isOperationLocked } from './backups.repository.ts';
import { describeFsError } from './fs-utils.ts';
import { acquireOperationLock, type MaintenanceSession } from './maintenance.ts';
import { databaseOf, toolVersion } from './postgres-tools.ts';
import { type Operation, Progress, type ProgressSnapshot } from './progress.ts';
import { type RestoreDeps, type RestoreSummary, restoreArchive } from './restore.ts';
import { type VerifyReport, verifyArchive } from './verify.ts';

export interface Log {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export type BackupsConfig = Pick<Config, 'backups' | 'directDatabaseUrl' | 'migrationsDir' | 'version'>;

export interface BackupInfo {
  filename: string;
  size: number;
  created_at: string;
}

export interface BackupRequest {
  trigger: 'api' | 'schedule' | 'cli';
  /** Timestamp of the name; now by default. */
  date?: Date;
  suffix?: string | null;
}

const assertAdmin = (actor: Actor) => {
  if (!isAdmin(actor)) throw AppError.forbidden('Admin access required');
};
const notFound = () => AppError.notFound('Backup file not found', ErrorCode.BACKUP_NOT_FOUND);
const inProgress = () =>
  AppError.conflict(
    'A backup or restore is already running; try again when it has finished',
    ErrorCode.BACKUP_IN_PROGRESS,
  );
const notAllowed = () =>
  AppError.forbidden(
    'System is already initialized. Restore is only available on fresh installs.',
    ErrorCode.RESTORE_NOT_ALLOWED,
  );

function backupFailure(err: unknown): AppError {
  if (err instanceof AppError) return err;
  const message = err instanceof BackupWriteError ? err.message : `Backup failed: ${(err as Error).message}`;
  return new AppError(500, ErrorCode.BACKUP_FAILED, message);
}

function restoreFailure(err: unknown): AppError {
  if (err instanceof AppError) return err;
  if (err instanceof ArchiveError) return AppError.badRequest(err.message, ErrorCode.BACKUP_INVALID);
  if (err instanceof RestoreError) return AppError.badRequest(err.message, ErrorCode.RESTORE_FAILED);
  return AppError.badRequest(`Restore failed: ${(err as Error).message}`, ErrorCode.RESTORE_FAILED);
}

export const formatMegabytes = (bytes: number) => `${(bytes / (1024 * 1024)).toFixed(2)} MB`;

/**
 * `db` answers the initialized check and the migration level (the pooled pool in the server, a direct one in the
 * CLI).
 */
export function createBackupsService(config: BackupsConfig, db: Queryable, log: Log) {
  const progress = new Progress();
  const settings = config.backups;
  const database = databaseOf(config.directDatabaseUrl);
  let current: Operation | null = null;
  let restoring = false;

  const restoreDeps = (): RestoreDeps => ({
    directUrl: config.directDatabaseUrl,
    pgBinDir: settings.pgBinDir,
    storageDir: settings.storageDataPath,
    backupsDir: settings.dir,
    migrationsDir: config.migrationsDir,
    log,
  });

  /** Runs `work` as the only backup/restore of this database; 409 when another one runs anywhere. */
  async function exclusively<T>(
    operation: Operation,
    work: (session: MaintenanceSession) => Promise<T>,
  ): Promise<T> {
    if (current) throw inProgress();
    current = operation;
    try {
      const session = await acquireOperationLock(config.directDatabaseUrl);
      if (!session) throw inProgress();
      try {
        return await work(session);
      } finally {
        await session.release();
      }
    } finally {
      current = null;
    }
  }

  async function assertNotInitialized(): Promise<void> {
    if (await findSystemInitialized(db)) throw notAllowed();
  }

  async function restoreFile(path: string, api: boolean): Promise<RestoreSummary> {
    return exclusively('restore', async (session) => {
      if (api) await assertNotInitialized();
      progress.start('restore', basename(path));
      // In the server, every other request answers 503 until the restore is over (see routes/backups/index.ts).
      restoring = true;
      try {
        const summary = await restoreArchive(session, restoreDeps(), path, progress, {
          beforeSwap: api ? assertNotInitialized : undefined,
        });
        progress.finish(null);
        log.info(`restore: done in ${summary.durationMs} ms (${summary.storageFiles} storage files)`);
        return summary;
      } catch (err) {
        progress.finish(err as Error);
        throw restoreFailure(err);
      } finally {
        restoring = false;
      }
    });
  }

  /** Writes a new archive; 409 while another backup or restore runs. */
  async function createBackup(request: BackupRequest): Promise<CreatedArchive> {
    if (request.suffix && !SUFFIX_PATTERN.test(request.suffix)) {
      throw AppError.badRequest('The backup name may use letters, digits, - and _ (at most 64)');
    }
    return exclusively('backup', async (session) => {
      progress.start('backup', null);
      try {
        await removeStaleWork(settings.dir);
        const [serverVersion, migrationLevel, pgDump] = await Promise.all([
          findServerVersion(session.client),
          findMigrationLevel(db),
          toolVersion(settings.pgBinDir, 'pg_dump'),
        ]);
        const created = await createArchive(
          {
            directUrl: config.directDatabaseUrl,
            pgBinDir: settings.pgBinDir,
            storageDir: settings.storageDataPath,
            envFile: settings.envFile,
            backupsDir: settings.dir,
          },
          {
            selfdbVersion: config.version,
            serverVersion,
            pgDumpVersion: pgDump.text,
            migrationLevel,
            trigger: request.trigger,
            date: request.date ?? new Date(),
            suffix: request.suffix ?? null,
          },
          progress,
          log,
        );
        progress.setFilename(created.filename);
        progress.finish(null);
        log.info(`backup: ${created.filename} (${formatMegabytes(created.size)}) in ${created.durationMs} ms`);
        return created;
      } catch (err) {
        progress.finish(err as Error);
        log.error(`backup failed: ${(err as Error).message}`);
        throw backupFailure(err);
      }
    });
  }

  return {
    progress,
    createBackup,

    /** True while a restore runs in this process: the server then refuses other requests (503). */
    isRestoring: () => restoring,

    async list(actor: Actor): Promise<BackupInfo[]> {
      assertAdmin(actor);
      return (await listArchives(settings.dir)).map((entry) => ({
        filename: entry.filename,
        size: entry.size,
        created_at: entry.createdAt.toISOString(),
      }));
    },

    async create(actor: Actor) {
      assertAdmin(actor);
      const created = await createBackup({ trigger: 'api' });
      return {
        success: true,
        filename: created.filename,
        message: `Backup created successfully (${formatMegabytes(created.size)})`,
      };
    },

    /** The archive as a stream, for download. */
    async openDownload(actor: Actor, filename: string) {
      assertAdmin(actor);
      if (!isArchiveFileName(filename)) throw notFound();
      const path = join(settings.dir, filename);
      const info = await stat(path).catch(() => null);
      if (!info?.isFile()) throw notFound();
      return { stream: createReadStream(path, { highWaterMark: 512 * 1024 }), size: info.size };
    },

    async remove(actor: Actor, filename: string) {
      assertAdmin(actor);
      if (!isArchiveFileName(filename)) throw notFound();
      try {
        await unlink(join(settings.dir, filename));
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw notFound();
        throw err;
      }
      return { message: `Backup ${filename} deleted successfully` };
    },

    /**
     * Streams an upload to a hidden file in the backups folder and restores it (fresh installs only: checked before
     * the upload is read, and again before anything is replaced). The file is removed afterwards, whatever happens.
     */
    async restoreUpload(upload: Readable, isTruncated: () => boolean) {
      await assertNotInitialized();
      if (current) throw inProgress();
      const path = await receivingPath(settings.dir);
      try {
        const out = await open(path, 'wx', 0o640);
        try {
          await pipeline(upload, out.createWriteStream());
        } catch (err) {
          throw AppError.badRequest(`The upload failed: ${describeFsError(err, settings.dir)}`);
        }
        if (isTruncated()) {
          throw new AppError(
            413,
            ErrorCode.PAYLOAD_TOO_LARGE,
            `The backup is larger than BACKUP_UPLOAD_MAX_MB (${settings.uploadMaxBytes / (1024 * 1024)} MB)`,
          );
        }
        await restoreFile(path, true);
        return {
          success: true,
          message:
            'Backup restored successfully (database + storage). Please login with your restored credentials.',
        };
      } finally {
        await unlink(path).catch(() => {});
      }
    },

    /** The CLI's restore: no initialized check (the operator decided). */
    restoreFile: (path: string) => restoreFile(path, false),

    /** Reads the whole archive and checks it (gzip, names, database.sql, manifest checksums); writes nothing. */
    async check(path: string) {
      try {
        return await extractArchive(path, { sqlPath: null, storageDir: null });
      } catch (err) {
        throw restoreFailure(err);
      }
    },

    /** Restores into a throwaway database and folder and compares with the manifest; live data is untouched. */
    async verify(path: string): Promise<VerifyReport> {
      progress.start('verify', basename(path));
      try {
        const report = await verifyArchive(restoreDeps(), path, progress);
        progress.finish(report.ok ? null : new Error(report.problems[0] ?? 'verification failed'));
        return report;
      } catch (err) {
        progress.finish(err as Error);
        throw err;
      }
    },

    /**
     * What runs now. A restore's progress is visible with the API key alone (it is started from the login page of
     * a fresh install); anything else needs an admin.
     */
    async progressFor(actor: Actor | null): Promise<ProgressSnapshot> {
      const snapshot = progress.snapshot();
      if (snapshot.running && snapshot.operation === 'restore') return snapshot;
      if (!actor) throw AppError.unauthorized('Not authenticated', ErrorCode.NOT_AUTHENTICATED);
      assertAdmin(actor);
      if (!snapshot.running && (await isOperationLocked(db, database))) {
        return { ...snapshot, running: true, operation: null, phase: 'running in another process' };
      }
      return snapshot;
    },
  };
}

export type BackupsService = ReturnType<typeof createBackupsService>;
