// The composition root: every service of the backend is built here, once, and handed to the route areas as one
// typed context per area (routes/<area>/context.ts). Nothing below the routes builds a service or sees the pool.
import { addPoolMetrics, createJwtKey, createPool, type Pool } from '@selfdb/common';
import type { FastifyInstance } from 'fastify';
import type { Config } from './config.ts';
import { createAuthService } from './modules/auth/auth.service.ts';
import { RateLimiter } from './modules/auth/rate-limiter.ts';
import { createBackupsService, type BackupsService, type Log } from './modules/backups/backups.service.ts';
import { createBackupScheduler, type BackupScheduler } from './modules/backups/scheduler.ts';
import { createDeployer } from './modules/functions/deployer.ts';
import { createFunctionsService } from './modules/functions/functions.service.ts';
import { createRuntimeClient } from './modules/functions/runtime-client.ts';
import { createSchemaService } from './modules/schema/schema.service.ts';
import { createSqlService } from './modules/sql/sql.service.ts';
import { createBucketsService } from './modules/storage/buckets.service.ts';
import { createDownloadsService } from './modules/storage/downloads.service.ts';
import { createFilesService } from './modules/storage/files.service.ts';
import { createQuotaService } from './modules/storage/quota.service.ts';
import { createResumableService } from './modules/storage/resumable.ts';
import { createUrlSigner } from './modules/storage/signed-urls.ts';
import { createStorageClient } from './modules/storage/storage-client.ts';
import { createUploadsService } from './modules/storage/uploads.service.ts';
import { createSystemService } from './modules/system/system.service.ts';
import { createColumnsService } from './modules/tables/columns.service.ts';
import { createRowsService } from './modules/tables/rows.service.ts';
import { TableMetaCache } from './modules/tables/table-meta.ts';
import { createTablesService } from './modules/tables/tables.service.ts';
import { createUsersService } from './modules/users/users.service.ts';
import { createDeliveriesService } from './modules/webhooks/deliveries.service.ts';
import { createWebhooksService } from './modules/webhooks/webhooks.service.ts';
import { type BackendMetrics, createBackendMetrics } from './plugins/metrics.ts';
import { installAuth } from './plugins/auth.ts';
import { functionsDeployerForRuns, installFunctionTriggers } from './plugins/function-triggers.ts';
import { installFunctionsSync } from './plugins/functions-sync.ts';
import type { BackupsContext } from './routes/backups/context.ts';
import type { RouteContext } from './routes/context.ts';
import type { FunctionsContext } from './routes/functions/context.ts';
import type { SchemaContext } from './routes/schema/context.ts';
import type { SqlContext } from './routes/sql/context.ts';
import type { StorageContext } from './routes/storage/context.ts';
import type { StorageUploadsContext } from './routes/storage-uploads/context.ts';
import type { SystemContext } from './routes/system/context.ts';
import type { TablesContext } from './routes/tables/context.ts';
import type { UsersContext } from './routes/users/context.ts';
import type { WebhooksContext } from './routes/webhooks/context.ts';

/** One typed context per route area. */
export interface AreaContexts {
  system: SystemContext;
  users: UsersContext;
  sql: SqlContext;
  schema: SchemaContext;
  tables: TablesContext;
  storage: StorageContext;
  storageUploads: StorageUploadsContext;
  realtime: RouteContext;
  backups: BackupsContext;
  functions: FunctionsContext;
  webhooks: WebhooksContext;
}

export interface Services {
  backups: BackupsService;
  /** Started and stopped by the backup-scheduler plugin; read by GET /backups/schedule. */
  scheduler: BackupScheduler;
  contexts: AreaContexts;
}

// Console scripts may hold a connection for the whole statement timeout: they get a few connections of their own,
// so they can never take the ones every other request needs.
const CONSOLE_CONNECTIONS = 3;

/**
 * Builds every service from the config and registers what must be closed with the app (pools, clients). The pool
 * connects lazily, so building needs no database.
 */
export function buildServices(
  app: FastifyInstance,
  config: Readonly<Config>,
  metrics: BackendMetrics = createBackendMetrics(config.metricsToken !== null),
): Services {
  const pool: Pool = createPool(config.databaseUrl, {
    max: config.dbPoolMax,
    applicationName: 'selfdb-backend',
  });
  app.addHook('onClose', async function endPool() {
    await pool.end();
  });
  const log: Log = {
    info: (message: string) => app.log.info(message),
    warn: (message: string) => app.log.warn(message),
    error: (message: string) => app.log.error(message),
  };

  const authService = createAuthService({
    pool,
    jwtKey: createJwtKey(config.secretKey),
    accessTokenTtlSeconds: config.accessTokenTtlSeconds,
    refreshTokenTtlDays: config.refreshTokenTtlDays,
  });
  const base: RouteContext = { config, auth: installAuth(app, authService) };
  const windowMs = config.rateLimit.windowSeconds * 1000;

  // Straight to Postgres as selfdb_console, never through PgBouncer, and never reused (maxUses 1): whatever session
  // state a script leaves (settings, role, temporary tables, prepared statements, locks, LISTEN) ends with its
  // connection, and no API request ever runs on a connection a script had.
  const consolePool = createPool(config.sql.databaseUrl, {
    max: CONSOLE_CONNECTIONS,
    maxUses: 1,
    applicationName: 'selfdb-sql-console',
    // A script waiting for a console connection waits for a running one to finish rather than failing at once.
    connectionTimeoutMs: config.sql.statementTimeoutMs + 5000,
  });
  app.addHook('onClose', async function endConsolePool() {
    await consolePool.end();
  });

  // One metadata cache per app, shared by the services, so a table change drops what data requests would reuse.
  const tableCache = new TableMetaCache(pool, config.tables.metadataTtlMs);

  const storage = createStorageClient(config.storage);
  app.addHook('onClose', async function closeStorageClient() {
    await storage.close();
  });
  const quota = createQuotaService(pool, { quotaBytes: config.storage.userQuotaBytes, log: app.log });
  const uploads = createUploadsService(
    pool,
    storage,
    quota,
    { maxFileBytes: config.storage.maxFileBytes },
    app.log,
  );

  addPoolMetrics(metrics.metrics, { api: pool, console: consolePool });
  const backups = createBackupsService(config, pool, log, metrics.backups);
  const scheduler = createBackupScheduler(
    {
      cron: config.backups.scheduleCron,
      retentionDays: config.backups.retentionDays,
      backupsDir: config.backups.dir,
    },
    backups,
    pool,
    log,
  );

  const runtime = createRuntimeClient(config.functions);
  app.addHook('onClose', async function closeRuntimeClient() {
    await runtime.close();
  });
  const deployer = createDeployer({ pool, runtime, log });
  installFunctionsSync(app, { pool, deployer, logRetentionDays: config.functions.logRetentionDays });
  const functionTriggers = installFunctionTriggers(app, config, pool, {
    runtime,
    deployer: functionsDeployerForRuns(pool, deployer),
  });

  const contexts: AreaContexts = {
    system: { ...base, system: createSystemService(pool, config.version) },
    users: {
      ...base,
      authService,
      users: createUsersService(pool),
      limiters: {
        loginPerAccount: new RateLimiter(config.rateLimit.loginPerAccount, windowMs),
        loginPerAddress: new RateLimiter(config.rateLimit.loginPerAddress, windowMs),
        refreshPerAddress: new RateLimiter(config.rateLimit.refreshPerAddress, windowMs),
        signupPerAddress: new RateLimiter(config.rateLimit.signupPerAddress, windowMs),
      },
    },
    sql: { ...base, sql: createSqlService({ pool, consolePool, config: config.sql }) },
    schema: { ...base, schema: createSchemaService(pool) },
    tables: {
      ...base,
      tables: createTablesService(pool, tableCache),
      columns: createColumnsService({ pool, cache: tableCache }),
      rows: createRowsService(pool, tableCache),
    },
    storage: {
      ...base,
      buckets: createBucketsService(pool, storage),
      files: createFilesService(pool, storage),
      uploads,
      downloads: createDownloadsService(pool, storage, createUrlSigner(config.secretKey)),
    },
    storageUploads: {
      ...base,
      resumable: createResumableService({
        pool,
        storage,
        uploads,
        quota,
        uploadExpirySeconds: config.storage.uploadExpirySeconds,
      }),
    },
    realtime: base,
    backups: { ...base, backups, scheduler },
    functions: {
      ...base,
      functions: createFunctionsService({ pool, deployer, log }),
      functionTriggers: functionTriggers.service,
    },
    webhooks: {
      ...base,
      webhooks: createWebhooksService(pool),
      deliveries: createDeliveriesService(pool, { requireSignature: config.webhooks.requireSignature }),
    },
  };
  return { backups, scheduler, contexts };
}
