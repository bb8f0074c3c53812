import type { RuntimeRunRequest } from '@selfdb/common';
import type { FastifyInstance } from 'fastify';
import type { FunctionHost } from '../host.ts';
import { NameParams, RunBody } from './schemas.ts';

/**
 * POST /functions/:name/run: one run, answered when it ends (completed, failed or timed out, with its logs);
 * 404 FUNCTION_NOT_DEPLOYED / 409 FUNCTION_VERSION_MISMATCH tell the backend to push the code first.
 */
export async function runRoute(app: FastifyInstance, { host }: { host: FunctionHost }) {
  app.post<{ Params: { name: string }; Body: RuntimeRunRequest }>(
    '/functions/:name/run',
    { schema: { params: NameParams, body: RunBody } },
    async function runFunction(request) {
      return host.run(request.params.name, request.body);
    },
  );
}
