import { createJwtKey, createLoggerOptions, createPool, type Pool } from '@selfdb/common';
import Fastify, { type FastifyInstance } from 'fastify';
import type { Config } from './config.ts';
import { createAuthService } from './modules/auth/auth.service.ts';
import { RateLimiter } from './modules/auth/rate-limiter.ts';
import { createSystemService } from './modules/system/system.service.ts';
import { createUsersService } from './modules/users/users.service.ts';
import { installApiKeyCheck } from './plugins/api-key.ts';
import { installAuth } from './plugins/auth.ts';
import { installCors } from './plugins/cors.ts';
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
import { USER_SCHEMAS } from './routes/users/schemas.ts';

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
  return app;
}
