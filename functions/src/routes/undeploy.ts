import type { FastifyInstance } from 'fastify';
import type { FunctionHost } from '../host.ts';
import { NameParams } from './schemas.ts';

/** DELETE /functions/:name: stops the function's process and wipes its scratch dir; 204 also when absent. */
export async function undeployRoute(app: FastifyInstance, { host }: { host: FunctionHost }) {
  app.delete<{ Params: { name: string } }>(
    '/functions/:name',
    { schema: { params: NameParams } },
    async function undeployFunction(request, reply) {
      await host.undeploy(request.params.name);
      return reply.code(204).send();
    },
  );
}
