// Backups and restores as the API, the scheduler and the CLI see them: admin checks, the restore token of a fresh
// install, one operation at a time (in this process, and across processes and replicas through the advisory lock
// of maintenance.ts), progress, and the mapping of failures to error codes (one redacted line: redact.ts).
import { createReadStream } from 'node:fs';
import { open, stat, unlink } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { type Actor, AppError, ErrorCode, ERRORS, isAdmin, type Queryable } from '@selfdb/common';
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
import { databaseOf, ToolError, toolVersion } from './postgres-tools.ts';
import { type Operation, Progress, type ProgressSnapshot } from './progress.ts';
import { Redactor } from './redact.ts';
import { RestoreTokens } from './restore-token.ts';
import { type RestoreDeps, type RestoreSummary, restoreArchive } from './restore.ts';
import { SqlLoadError } from './sql-loader.ts';
import { type VerifyReport, verifyArchive } from './verify.ts';

export interface Log {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export type BackupsConfig = Pick<
  Config,
  'backups' | 'directDatabaseUrl' | 'migrationsDir' | 'version' | 'apiKey' | 'secretKey' | 'databaseUrl'
> & { storage?: Pick<Config['storage'], 'serviceKey'> };

/** Who asks for an API restore: the signed-in user (if any) and the X-Restore-Token header (if any). */
export interface RestoreAuth {
  actor: Actor | null;
  restoreToken: string | null;
}

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
  if (!isAdmin(actor)) throw ERRORS.adminRequired();
};


/** The whole story of a failure, for the server log (the tools' output included, secrets still redacted). */
function fullMessage(err: unknown): string {
  const output = err instanceof ToolError || err instanceof SqlLoadError ? `\n${err.output.trim()}` : '';
  return `${(err as Error).message}${output}`;
}

export const formatMegabytes = (bytes: number) => `${(bytes / (1024 * 1024)).toFixed(2)} MB`;

/**
 * `db` answers the initialized check and the migration level (the pooled pool in the server, a direct one in the
 * CLI).
 */
/** Told of each backup written (the metrics of `GET /metrics`). */
export interface BackupObserver {
  backupCreated?(durationMs: number): void;
}

export function createBackupsService(
  config: BackupsConfig,
  db: Queryable,
  log: Log,
  observer: BackupObserver = {},
) {
  const progress = new Progress();
  const settings = config.backups;
  const database = databaseOf(config.directDatabaseUrl);
  let current: Operation | null = null;
  let restoring = false;
  const tokens = new RestoreTokens(settings.restoreTokenFile);
  // Every secret this server knows; each operation forks it and adds its own (an archive's .env values).
  const redactor = new Redactor([config.apiKey, config.secretKey, config.storage?.serviceKey]);
  redactor.addUrl(config.directDatabaseUrl);
  redactor.addUrl(config.databaseUrl);

  /** One line for the client, secrets redacted; the whole message (redacted) goes to the log. */
  function backupFailure(err: unknown, secrets: Redactor): AppError {
    if (err instanceof AppError) return err;
    log.error(`backup failed: ${secrets.clean(fullMessage(err))}`);
    const message = err instanceof BackupWriteError ? err.message : `Backup failed: ${(err as Error).message}`;
    return new AppError(500, ErrorCode.BACKUP_FAILED, secrets.detail(message));
  }

  function restoreFailure(err: unknown, secrets: Redactor): AppError {
    if (err instanceof AppError) return new AppError(err.statusCode, err.code, secrets.detail(err.message), err.headers);
    log.warn(`restore failed: ${secrets.clean(fullMessage(err))}`);
    if (err instanceof ArchiveError) return AppError.badRequest(secrets.detail(err.message), ErrorCode.BACKUP_INVALID);
    if (err instanceof RestoreError) return AppError.badRequest(secrets.detail(err.message), ErrorCode.RESTORE_FAILED);
    return AppError.badRequest(secrets.detail(`Restore failed: ${(err as Error).message}`), ErrorCode.RESTORE_FAILED);
  }

  const restoreDeps = (secrets: Redactor): RestoreDeps => ({
    directUrl: config.directDatabaseUrl,
    pgBinDir: settings.pgBinDir,
    storageDir: settings.storagePath,
    backupsDir: settings.dir,
    migrationsDir: config.migrationsDir,
    log,
    redactor: secrets,
  });

  /** Runs `work` as the only backup/restore of this database; 409 when another one runs anywhere. */
  async function exclusively<T>(
    operation: Operation,
    work: (session: MaintenanceSession) => Promise<T>,
  ): Promise<T> {
    if (current) throw ERRORS.backupInProgress();
    current = operation;
    try {
      const session = await acquireOperationLock(config.directDatabaseUrl);
      if (!session) throw ERRORS.backupInProgress();
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
    if (await findSystemInitialized(db)) throw ERRORS.restoreNotAllowed();
  }

  /** Through the API, the caller needs an admin's token or the restore token: which one (401 for neither). */
  async function authorizeApiRestore(auth: RestoreAuth): Promise<'admin' | 'token'> {
    if (isAdmin(auth.actor)) return 'admin';
    if (!auth.restoreToken) throw ERRORS.restoreTokenRequired();
    if (!(await tokens.matches(auth.restoreToken))) throw ERRORS.restoreTokenInvalid();
    return 'token';
  }

  /** `api`: a restore through the API (fresh installs only, checked again right before the swap). */
  async function restoreFile(path: string, api: RestoreAuth | null): Promise<RestoreSummary> {
    const secrets = redactor.fork();
    return exclusively('restore', async (session) => {
      // Checked again under the lock: a restore that just finished may have used the token or initialized it all.
      const recheck = async () => {
        await assertNotInitialized();
        await authorizeApiRestore(api as RestoreAuth);
      };
      if (api) await recheck();
      progress.start('restore', basename(path));
      // In the server, every other request answers 503 until the restore is over (see routes/backups/index.ts).
      restoring = true;
      try {
        const summary = await restoreArchive(session, restoreDeps(secrets), path, progress, {
          beforeSwap: api ? recheck : undefined,
        });
        // Single use: the data it guarded is replaced.
        if (api) await tokens.revoke();
        progress.finish(null);
        log.info(`restore: done in ${summary.durationMs} ms (${summary.storageFiles} storage files)`);
        return summary;
      } catch (err) {
        const failure = restoreFailure(err, secrets);
        progress.finish(new Error(failure.message));
        throw failure;
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
            storageDir: settings.storagePath,
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
        observer.backupCreated?.(created.durationMs);
        log.info(`backup: ${created.filename} (${formatMegabytes(created.size)}) in ${created.durationMs} ms`);
        return created;
      } catch (err) {
        const failure = backupFailure(err, redactor);
        progress.finish(new Error(failure.message));
        throw failure;
      }
    });
  }

  /** Restores into a throwaway database and folder and compares with the manifest; live data is untouched. */
  async function verify(path: string): Promise<VerifyReport> {
    progress.start('verify', basename(path));
    const secrets = redactor.fork();
    try {
      const report = await verifyArchive(restoreDeps(secrets), path, progress);
      report.problems = report.problems.map((problem) => secrets.detail(problem));
      progress.finish(report.ok ? null : new Error(report.problems[0] ?? 'verification failed'));
      return report;
    } catch (err) {
      progress.finish(new Error(secrets.detail((err as Error).message)));
      throw err;
    }
  }

  return {
    progress,
    createBackup,

    /** True while a restore runs in this process: the server then refuses other requests (503). */
    isRestoring() {
      return restoring;
    },

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
      if (!isArchiveFileName(filename)) throw ERRORS.backupNotFound();
      const path = join(settings.dir, filename);
      const info = await stat(path).catch(() => null);
      if (!info?.isFile()) throw ERRORS.backupNotFound();
      return { stream: createReadStream(path, { highWaterMark: 512 * 1024 }), size: info.size };
    },

    async remove(actor: Actor, filename: string) {
      assertAdmin(actor);
      if (!isArchiveFileName(filename)) throw ERRORS.backupNotFound();
      try {
        await unlink(join(settings.dir, filename));
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw ERRORS.backupNotFound();
        throw err;
      }
      return { message: `Backup ${filename} deleted successfully` };
    },

    /**
     * On a fresh install at start: a new restore token, logged and written for `./selfdb.sh start` to print. On an
     * initialized one, any earlier token is removed. Returns the token (null when none was made).
     */
    async prepareRestoreToken(): Promise<string | null> {
      if (await findSystemInitialized(db)) {
        await tokens.revoke();
        return null;
      }
      const token = await tokens.issue();
      const where = tokens.location ? ` (also in ${tokens.location})` : '';
      log.warn(
        `fresh install: one-time restore token ${token}${where}. POST /backups/restore needs it in the X-Restore-Token header until someone logs in.`,
      );
      return token;
    },

    /**
     * Streams an upload to a hidden file in the backups folder and restores it (fresh installs only, with an admin's
     * token or the restore token: checked before the upload is read, and again before anything is replaced). The
     * file is removed afterwards, whatever happens.
     */
    async restoreUpload(upload: Readable, isTruncated: () => boolean, auth: RestoreAuth) {
      if (await findSystemInitialized(db)) {
        // Someone logged in since the backend started: the token has no use any more.
        await tokens.revoke();
        throw ERRORS.restoreNotAllowed();
      }
      await authorizeApiRestore(auth);
      if (current) throw ERRORS.backupInProgress();
      const path = await receivingPath(settings.dir);
      try {
        const out = await open(path, 'wx', 0o600);
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
        await restoreFile(path, auth);
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
    restoreFile(path: string) {
      return restoreFile(path, null);
    },

    /** Reads the whole archive and checks it (gzip, names, database.sql, manifest checksums); writes nothing. */
    async check(path: string) {
      try {
        return await extractArchive(path, { sqlPath: null, storageDir: null });
      } catch (err) {
        throw restoreFailure(err, redactor);
      }
    },

    /**
     * POST /backups/{filename}/verify: verifies one archive of the backups folder (admins only), as the only backup,
     * restore or verification running (409 otherwise); GET /backups/progress follows it.
     */
    async verifyFile(actor: Actor, filename: string): Promise<VerifyReport> {
      assertAdmin(actor);
      if (!isArchiveFileName(filename)) throw ERRORS.backupNotFound();
      const path = join(settings.dir, filename);
      const info = await stat(path).catch(() => null);
      if (!info?.isFile()) throw ERRORS.backupNotFound();
      return exclusively('verify', () => verify(path));
    },

    verify,

    /** True while this process restores: its progress is then open to anyone with the API key. */
    restoreRunning(): boolean {
      const snapshot = progress.snapshot();
      return snapshot.running && snapshot.operation === 'restore';
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
