import { createHash, timingSafeEqual } from 'node:crypto';
import { AppError, createLoggerOptions, ErrorCode, errnoCode, STORAGE_KEY_HEADER } from '@selfdb/common';
import Fastify, { type FastifyError, type FastifyInstance } from 'fastify';
import type { ObjectStore } from './backends/types.ts';
import type { StorageConfig } from './config.ts';
import { bucketRoutes } from './routes/buckets.ts';
import { healthRoutes } from './routes/health.ts';
import { objectRoutes } from './routes/objects.ts';
import { uploadRoutes } from './routes/uploads.ts';

export interface StorageAppOptions {
  /** false disables logging (tests, benchmarks). */
  logger?: boolean;
}

const digest = (value: string) => createHash('sha256').update(value).digest();

/**
 * Builds the storage service around a byte store without listening. It is internal: every route but /health
 * requires the key it shares with the backend (`X-Storage-Key`), so nothing else on the network can read or write.
 */
export async function buildStorageApp(
  config: Pick<StorageConfig, 'serviceKey' | 'logLevel'>,
  store: ObjectStore,
  options: StorageAppOptions = {},
): Promise<FastifyInstance> {
  const app = Fastify({
    logger: options.logger === false ? false : createLoggerOptions(config.logLevel, 'storage'),
    routerOptions: { ignoreTrailingSlash: true },
    // Uploads can take as long as they need; an idle connection is still closed by Node's own timeouts.
    requestTimeout: 0,
  });

  const expected = digest(config.serviceKey);
  app.addHook('onRequest', async (request) => {
    if (request.url === '/health') return;
    const presented = request.headers[STORAGE_KEY_HEADER];
    if (typeof presented !== 'string' || !timingSafeEqual(digest(presented), expected)) {
      throw new AppError(401, ErrorCode.STORAGE_KEY_INVALID, 'Invalid storage service key');
    }
  });

  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (error instanceof AppError) {
      return reply
        .code(error.statusCode)
        .headers(error.headers)
        .send({ detail: error.message, code: error.code });
    }
    const errno = errnoCode(error);
    if (errno === 'ENOSPC' || errno === 'EDQUOT') {
      // The volume filled up under a write anyway (another program wrote to it): nothing of the write was kept.
      request.log.warn({ err: error }, 'storage volume full');
      return reply.code(507).send({
        detail: 'Insufficient storage: the storage volume is full',
        code: ErrorCode.INSUFFICIENT_STORAGE,
      });
    }
    if (error.validation) {
      return reply.code(422).send({ detail: error.message, code: ErrorCode.VALIDATION_FAILED });
    }
    if (error.statusCode && error.statusCode >= 400 && error.statusCode < 500) {
      return reply.code(error.statusCode).send({ detail: error.message, code: ErrorCode.BAD_REQUEST });
    }
    request.log.error({ err: error }, 'unhandled error');
    return reply.code(500).send({ detail: 'Internal storage error', code: ErrorCode.INTERNAL_ERROR });
  });
  app.setNotFoundHandler((_request, reply) =>
    reply.code(404).send({ detail: 'Not Found', code: ErrorCode.NOT_FOUND }),
  );

  await app.register(healthRoutes, { store });
  await app.register(bucketRoutes, { store });
  await app.register(objectRoutes, { store });
  await app.register(uploadRoutes, { store });
  return app;
}
