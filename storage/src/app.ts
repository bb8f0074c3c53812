import { createHash, timingSafeEqual } from 'node:crypto';
import {
  answerClientError,
  AppError,
  createLoggerOptions,
  ErrorCode,
  errnoCode,
  STORAGE_KEY_HEADER,
} from '@selfdb/common';
import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply } from 'fastify';
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

/** Codes of the 4xx errors Fastify raises itself (body limits, content types), by status. */
const STATUS_ERRORS: Record<number, ErrorCode> = {
  413: ErrorCode.PAYLOAD_TOO_LARGE,
  414: ErrorCode.URI_TOO_LONG,
  415: ErrorCode.UNSUPPORTED_MEDIA_TYPE,
};

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
      const code = STATUS_ERRORS[error.statusCode] ?? ErrorCode.BAD_REQUEST;
      return reply.code(error.statusCode).send({ detail: error.message, code });
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
