import { AppError, ErrorCode } from '@selfdb/common';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fastifyPlugin from 'fastify-plugin';

/** Routes that keep answering while a restore runs: liveness, metrics, the login page's status and progress, the docs. */
const OPEN_DURING_RESTORE = new Set([
  '/health',
  '/metrics',
  '/system/status',
  '/backups/progress',
  '/openapi.json',
]);

function isOpenDuringRestore(request: FastifyRequest): boolean {
  const url = request.routeOptions.url ?? '';
  return request.method === 'OPTIONS' || OPEN_DURING_RESTORE.has(url) || url.startsWith('/docs');
}

export interface MaintenanceModeOptions {
  /** True while a restore replaces the data (the backups service says so). */
  isRestoring(): boolean;
}

/**
 * Maintenance mode: while a restore replaces the data, every request but those of OPEN_DURING_RESTORE is answered
 * 503 RESTORE_IN_PROGRESS (with Retry-After). It must see every route, so it is registered in the root context.
 */
async function maintenanceMode(app: FastifyInstance, options: MaintenanceModeOptions) {
  app.addHook('onRequest', async function refuseDuringRestore(request) {
    if (options.isRestoring() && !isOpenDuringRestore(request)) {
      throw new AppError(
        503,
        ErrorCode.RESTORE_IN_PROGRESS,
        'A backup is being restored; try again in a moment',
        { 'retry-after': '5' },
      );
    }
  });
}

export const maintenanceModePlugin = fastifyPlugin(maintenanceMode, { name: 'selfdb-maintenance-mode' });
