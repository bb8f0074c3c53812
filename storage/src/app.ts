import { createHash, timingSafeEqual } from 'node:crypto';
import {
  answerClientError,
  AppError,
  createLoggerOptions,
  type ErrorAnswer,
  ErrorCode,
  errnoCode,
  METRICS_PATH,
  NOT_FOUND_BODY,
  renderError,
  sendError,
  STORAGE_KEY_HEADER,
} from '@selfdb/common';
import Fastify, {
  type FastifyBaseLogger,
  type FastifyError,
  type FastifyInstance,
  type FastifyReply,
} from 'fastify';
import type { ObjectStore } from './backends/types.ts';
import type { StorageConfig } from './config.ts';
import { installStorageMetrics } from './metrics.ts';
import { bucketRoutes } from './routes/buckets.ts';
import { healthRoutes } from './routes/health.ts';
import { objectRoutes } from './routes/objects.ts';
import { uploadRoutes } from './routes/uploads.ts';

export interface StorageAppOptions {
  /** false disables logging (tests, benchmarks). */
  logger?: boolean;
}

/** The volume filled up under a write anyway (another program wrote to it): nothing of the write was kept. */
function volumeFull(error: FastifyError, log: FastifyBaseLogger): ErrorAnswer | null {
  const errno = errnoCode(error);
  if (errno !== 'ENOSPC' && errno !== 'EDQUOT') return null;
  log.warn({ err: error }, 'storage volume full');
  return {
    status: 507,
    body: {
      detail: 'Insufficient storage: the storage volume is full',
      code: ErrorCode.INSUFFICIENT_STORAGE,
    },
  };
}

const digest = (value: string) => createHash('sha256').update(value).digest();

/**
 * Builds the storage service around a byte store without listening. It is internal: every route but /health
 * requires the key it shares with the backend (`X-Storage-Key`), so nothing else on the network can read or write.
 */
export async function buildStorageApp(
  config: Pick<StorageConfig, 'serviceKey' | 'logLevel'> & Partial<Pick<StorageConfig, 'metricsToken'>>,
  store: ObjectStore,
  options: StorageAppOptions = {},
): Promise<FastifyInstance> {
  const app = Fastify({
    logger: options.logger === false ? false : createLoggerOptions(config.logLevel, 'storage'),
    routerOptions: { ignoreTrailingSlash: true },
    // Uploads can take as long as they need; an idle connection is still closed by Node's own timeouts.
    requestTimeout: 0,
    // Every answer has the `{detail, code}` body, those of Node's parser and of Fastify's router included; a URL is
    // never echoed back.
    clientErrorHandler: answerClientError,
    frameworkErrors: function answerFrameworkError(error: FastifyError, _request, reply: FastifyReply) {
      if (error.code === 'FST_ERR_MAX_PARAM_LENGTH') {
        return reply.code(414).send({ detail: 'URL too long', code: ErrorCode.URI_TOO_LONG });
      }
      return reply.code(400).send({ detail: 'Malformed URL', code: ErrorCode.BAD_REQUEST });
    },
  });

  const expected = digest(config.serviceKey);
  app.addHook('onRequest', async (request) => {
    // /metrics has its own credential (METRICS_TOKEN), checked by its route.
    if (request.url === '/health' || request.url === METRICS_PATH) return;
    const presented = request.headers[STORAGE_KEY_HEADER];
    if (typeof presented !== 'string' || !timingSafeEqual(digest(presented), expected)) {
      throw new AppError(401, ErrorCode.STORAGE_KEY_INVALID, 'Invalid storage service key');
    }
  });

  app.setErrorHandler(function handleError(error: FastifyError, request, reply) {
    const answer = renderError(error, { known: (err) => volumeFull(err, request.log) });
    if (answer) return sendError(reply, answer);
    request.log.error({ err: error }, 'unhandled error');
    return sendError(reply, {
      status: 500,
      body: { detail: 'Internal storage error', code: ErrorCode.INTERNAL_ERROR },
    });
  });
  app.setNotFoundHandler(function answerNotFound(_request, reply) {
    return reply.code(404).send(NOT_FOUND_BODY);
  });

  installStorageMetrics(app, config.metricsToken);
  await app.register(healthRoutes, { store });
  await app.register(bucketRoutes, { store });
  await app.register(objectRoutes, { store });
  await app.register(uploadRoutes, { store });
  return app;
}
