import { createLoggerOptions, installMetrics } from '@selfdb/common';
import Fastify, { type FastifyInstance } from 'fastify';
import { buildServices } from './composition-root.ts';
import type { Config } from './config.ts';
import { backupSchedulerPlugin } from './plugins/backup-scheduler.ts';
import { installApiKeyCheck } from './plugins/api-key.ts';
import { installCors } from './plugins/cors.ts';
import {
  answerClientError,
  answerFrameworkError,
  installErrorHandler,
  MAX_PARAM_LENGTH,
} from './plugins/errors.ts';
import { installJsonParser } from './plugins/json-body.ts';
import { maintenanceModePlugin } from './plugins/maintenance-mode.ts';
import { createBackendMetrics } from './plugins/metrics.ts';
import { installOpenApi } from './plugins/openapi.ts';
import { installSecurityHeaders } from './plugins/security-headers.ts';
import { installStrictQuery } from './plugins/strict-query.ts';
import { installValidation } from './plugins/validation.ts';
import { backupsRoutes } from './routes/backups/index.ts';
import { BACKUP_SCHEMAS } from './routes/backups/schemas.ts';
import { functionsRoutes } from './routes/functions/index.ts';
import { FUNCTION_SCHEMAS } from './routes/functions/schemas.ts';
import { realtimeRoutes } from './routes/realtime/index.ts';
import { schemaRoutes } from './routes/schema/index.ts';
import { SCHEMA_SCHEMAS } from './routes/schema/schemas.ts';
import { sqlRoutes } from './routes/sql/index.ts';
import { SQL_SCHEMAS } from './routes/sql/schemas.ts';
import { storageRoutes } from './routes/storage/index.ts';
import { storageUploadsRoutes } from './routes/storage-uploads/index.ts';
import { STORAGE_SCHEMAS } from './routes/storage/schemas.ts';
import { systemRoutes } from './routes/system/index.ts';
import { tablesRoutes } from './routes/tables/index.ts';
import { TABLE_SCHEMAS } from './routes/tables/schemas.ts';
import { usersRoutes } from './routes/users/index.ts';
import { WEBHOOK_DELIVERY_SCHEMAS } from './routes/webhooks/delivery-schemas.ts';
import { USER_SCHEMAS } from './routes/users/schemas.ts';
import { webhooksRoutes } from './routes/webhooks/index.ts';
import { WEBHOOK_SCHEMAS } from './routes/webhooks/schemas.ts';

export interface BuildOptions {
  /** false disables logging (the OpenAPI export, benchmarks). */
  logger?: boolean;
  /** Where log lines go instead of stdout (tests read them to check that no secret is logged). */
  logStream?: { write(line: string): void };
}

/**
 * Builds the backend app without listening. The pool connects lazily, so building needs no database (the OpenAPI
 * export relies on that); closing the app ends the pool.
 */
export async function buildApp(
  config: Readonly<Config>,
  options: BuildOptions = {},
): Promise<FastifyInstance> {
  const app = Fastify({
    logger:
      options.logger === false
        ? false
        : {
            ...createLoggerOptions(config.logLevel, 'backend'),
            ...(options.logStream && { stream: options.logStream }),
          },
    trustProxy: config.trustProxy,
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: MAX_PARAM_LENGTH },
    frameworkErrors: answerFrameworkError,
    clientErrorHandler: answerClientError,
  });

  installSecurityHeaders(app);
  installValidation(app);
  installErrorHandler(app);
  installJsonParser(app);
  await installCors(app, config.corsOrigins);
  installApiKeyCheck(app, config.apiKey);
  installStrictQuery(app);
  // Every area's shared schemas are added here, before any route: a schema added later from an area plugin makes
  // Fastify fall back to its default (coercing, field-stripping) validator for the routes registered before it.
  const sharedSchemas = [
    ...USER_SCHEMAS,
    ...TABLE_SCHEMAS,
    ...STORAGE_SCHEMAS,
    ...SQL_SCHEMAS,
    ...SCHEMA_SCHEMAS,
    ...BACKUP_SCHEMAS,
    ...FUNCTION_SCHEMAS,
    ...WEBHOOK_SCHEMAS,
    ...WEBHOOK_DELIVERY_SCHEMAS,
  ];
  for (const schema of sharedSchemas) app.addSchema(schema);
  await installOpenApi(app, config);

  const metrics = createBackendMetrics(config.metricsToken !== null);
  installMetrics(app, metrics.metrics, config.metricsToken);
  const { backups, scheduler, contexts } = buildServices(app, config, metrics);
  // Cross-cutting plugins, in the root context: the maintenance mode a restore turns on, the backup schedule.
  await app.register(maintenanceModePlugin, { isRestoring: () => backups.isRestoring() });
  await app.register(backupSchedulerPlugin, { scheduler, backups, log: app.log });

  // Each area registers here, one line each, with its own context (built in composition-root.ts).
  await app.register(systemRoutes, contexts.system);
  await app.register(usersRoutes, contexts.users);
  await app.register(sqlRoutes, contexts.sql);
  await app.register(schemaRoutes, contexts.schema);
  await app.register(tablesRoutes, contexts.tables);
  await app.register(storageRoutes, contexts.storage);
  await app.register(storageUploadsRoutes, contexts.storageUploads);
  await app.register(realtimeRoutes, contexts.realtime);
  await app.register(backupsRoutes, contexts.backups);
  await app.register(functionsRoutes, contexts.functions);
  await app.register(webhooksRoutes, contexts.webhooks);
  return app;
}
