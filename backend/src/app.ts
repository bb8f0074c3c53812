import { createJwtKey, createLoggerOptions, createPool, type Pool } from '@selfdb/common';
import Fastify, { type FastifyInstance } from 'fastify';
import type { Config } from './config.ts';
import { createAuthService } from './modules/auth/auth.service.ts';
import { createDeployer } from './modules/functions/deployer.ts';
import { createFunctionsService } from './modules/functions/functions.service.ts';
import { createRuntimeClient } from './modules/functions/runtime-client.ts';
import { RateLimiter } from './modules/auth/rate-limiter.ts';
import { createSystemService } from './modules/system/system.service.ts';
import { createUsersService } from './modules/users/users.service.ts';
import { installApiKeyCheck } from './plugins/api-key.ts';
import { installAuth } from './plugins/auth.ts';
import { installCors } from './plugins/cors.ts';
import { installFunctionTriggers, functionsDeployerForRuns } from './plugins/function-triggers.ts';
import { installFunctionsSync } from './plugins/functions-sync.ts';
import {
  answerClientError,
  answerFrameworkError,
  installErrorHandler,
  MAX_PARAM_LENGTH,
} from './plugins/errors.ts';
import { installJsonParser } from './plugins/json-body.ts';
import { installOpenApi } from './plugins/openapi.ts';
import { installSecurityHeaders } from './plugins/security-headers.ts';
import { installStrictQuery } from './plugins/strict-query.ts';
import { installValidation } from './plugins/validation.ts';
import { backupsRoutes } from './routes/backups/index.ts';
import { BACKUP_SCHEMAS } from './routes/backups/schemas.ts';
import type { RouteContext } from './routes/context.ts';
import type { FunctionsContext } from './routes/functions/context.ts';
import { functionsRoutes } from './routes/functions/index.ts';
import { FUNCTION_SCHEMAS } from './routes/functions/schemas.ts';
import { functionTriggerRoutes } from './routes/functions/triggers.ts';
import { realtimeRoutes } from './routes/realtime/index.ts';
import { schemaRoutes } from './routes/schema/index.ts';
import { SCHEMA_SCHEMAS } from './routes/schema/schemas.ts';
import { sqlRoutes } from './routes/sql/index.ts';
import { SQL_SCHEMAS } from './routes/sql/schemas.ts';
import { storageRoutes } from './routes/storage/index.ts';
import { STORAGE_SCHEMAS } from './routes/storage/schemas.ts';
import { systemRoutes } from './routes/system/index.ts';
import { tablesRoutes } from './routes/tables/index.ts';
import { TABLE_SCHEMAS } from './routes/tables/schemas.ts';
import { usersRoutes } from './routes/users/index.ts';
import { webhookDeliveryRoutes } from './routes/webhooks/deliveries-routes.ts';
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

  const pool: Pool = createPool(config.databaseUrl, {
    max: config.dbPoolMax,
    applicationName: 'selfdb-backend',
  });
  app.addHook('onClose', async () => pool.end());

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

  const authService = createAuthService({
    pool,
    jwtKey: createJwtKey(config.secretKey),
    accessTokenTtlSeconds: config.accessTokenTtlSeconds,
    refreshTokenTtlDays: config.refreshTokenTtlDays,
  });
  const windowMs = config.rateLimit.windowSeconds * 1000;
  const ctx: RouteContext = {
    config,
    pool,
    auth: installAuth(app, authService),
    authService,
    users: createUsersService(pool),
    system: createSystemService(pool, config.version),
    limiters: {
      loginPerAccount: new RateLimiter(config.rateLimit.loginPerAccount, windowMs),
      loginPerAddress: new RateLimiter(config.rateLimit.loginPerAddress, windowMs),
      refreshPerAddress: new RateLimiter(config.rateLimit.refreshPerAddress, windowMs),
      signupPerAddress: new RateLimiter(config.rateLimit.signupPerAddress, windowMs),
    },
  };

  await app.register(systemRoutes, ctx);
  await app.register(usersRoutes, { ...ctx, prefix: '/users' });
  // Each area registers here, one line each (areas build their services from ctx.pool in their index.ts).
  await app.register(sqlRoutes, { ...ctx, prefix: '/sql' });
  await app.register(schemaRoutes, { ...ctx, prefix: '/schema' });
  await app.register(tablesRoutes, { ...ctx, prefix: '/tables' });
  await app.register(storageRoutes, { ...ctx, prefix: '/storage' });
  await app.register(realtimeRoutes, ctx);
  await app.register(backupsRoutes, ctx);
  // Functions and webhooks share one context (functionsCtx): the runtime client, the deployer, the service.
  const functionsLog = {
    info: (message: string) => app.log.info(message),
    warn: (message: string) => app.log.warn(message),
  };
  const runtime = createRuntimeClient(config.functions);
  app.addHook('onClose', async () => runtime.close());
  const deployer = createDeployer({ pool, runtime, log: functionsLog });
  const functionsCtx: FunctionsContext = {
    ...ctx,
    runtime,
    deployer,
    functions: createFunctionsService({ pool, deployer, log: functionsLog }),
  };
  installFunctionsSync(app, { pool, deployer, logRetentionDays: config.functions.logRetentionDays });
  const functionTriggers = installFunctionTriggers(app, config, pool, {
    runtime,
    deployer: functionsDeployerForRuns(pool, deployer),
  });
  await app.register(functionTriggerRoutes, { ...ctx, functionTriggers: functionTriggers.service });
  await app.register(functionsRoutes, { ...functionsCtx, prefix: '/functions' });
  await app.register(webhooksRoutes, { ...functionsCtx, prefix: '/webhooks' });
  await app.register(webhookDeliveryRoutes, { ...ctx, prefix: '/webhooks' });
  return app;
}
