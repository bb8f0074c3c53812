import { createHash, timingSafeEqual } from 'node:crypto';
import {
  AppError,
  createLoggerOptions,
  createServiceMetrics,
  ErrorCode,
  FUNCTIONS_KEY_HEADER,
  installMetrics,
  METRICS_PATH,
  NOT_FOUND_BODY,
  renderError,
  sendError,
} from '@selfdb/common';
import Fastify, { type FastifyError, type FastifyInstance } from 'fastify';
import type { FunctionsConfig } from './config.ts';
import type { FunctionHost } from './host.ts';
import { deployRoute } from './routes/deploy.ts';
import { healthRoute } from './routes/health.ts';
import { runRoute } from './routes/run.ts';
import { undeployRoute } from './routes/undeploy.ts';

export interface FunctionsAppOptions {
  /** false disables logging (tests, benchmarks). */
  logger?: boolean;
}

const digest = (value: string) => createHash('sha256').update(value).digest();

/**
 * Builds the functions runtime's HTTP API (common/src/functions.ts) around a FunctionHost without listening. It
 * is internal: every route but /health requires the key it shares with the backend (`X-Functions-Key`).
 */
export async function buildFunctionsApp(
  config: Pick<FunctionsConfig, 'serviceKey' | 'logLevel' | 'limits'> &
    Partial<Pick<FunctionsConfig, 'metricsToken'>>,
  host: FunctionHost,
  options: FunctionsAppOptions = {},
): Promise<FastifyInstance> {
  const app = Fastify({
    logger: options.logger === false ? false : createLoggerOptions(config.logLevel, 'functions'),
    routerOptions: { ignoreTrailingSlash: true },
    // A deploy carries the code; a run carries the request body (base64): both well under this.
    bodyLimit:
      Math.max(config.limits.maxCodeBytes, Math.ceil((config.limits.maxBodyBytes * 4) / 3)) + 2 * 1024 * 1024,
    // A run lasts as long as its function's timeout: the runtime enforces it, not the HTTP server.
    requestTimeout: 0,
  });

  const expected = digest(config.serviceKey);
  app.addHook('onRequest', async (request) => {
    // /metrics has its own credential (METRICS_TOKEN), checked by its route.
    if (request.url === '/health' || request.url === METRICS_PATH) return;
    const presented = request.headers[FUNCTIONS_KEY_HEADER];
    if (typeof presented !== 'string' || !timingSafeEqual(digest(presented), expected)) {
      throw new AppError(401, ErrorCode.FUNCTIONS_KEY_INVALID, 'Invalid functions service key');
    }
  });

  app.setErrorHandler(function handleError(error: FastifyError, request, reply) {
    const answer = renderError(error);
    if (answer) return sendError(reply, answer);
    request.log.error({ err: error }, 'unhandled error');
    return sendError(reply, {
      status: 500,
      body: { detail: 'Internal functions runtime error', code: ErrorCode.INTERNAL_ERROR },
    });
  });
  app.setNotFoundHandler(function answerNotFound(_request, reply) {
    return reply.code(404).send(NOT_FOUND_BODY);
  });

  installMetrics(app, createServiceMetrics('functions', Boolean(config.metricsToken)), config.metricsToken);
  await app.register(healthRoute, { host });
  await app.register(deployRoute, { host, maxCodeBytes: config.limits.maxCodeBytes });
  await app.register(undeployRoute, { host });
  await app.register(runRoute, { host });
  return app;
}
