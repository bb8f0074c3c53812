import type { RuntimeDeployRequest } from '@selfdb/common';
import { AppError, ErrorCode } from '@selfdb/common';
import type { FastifyInstance } from 'fastify';
import type { FunctionHost } from '../host.ts';
import { DeployBody, NameParams } from './schemas.ts';

/**
 * PUT /functions/:name: loads the code in a fresh sandbox (same permissions as its runs); on success it serves
 * the function's runs from then on, else 422 FUNCTION_INVALID and the version deployed before keeps serving.
 */
export async function deployRoute(
  app: FastifyInstance,
  { host, maxCodeBytes }: { host: FunctionHost; maxCodeBytes: number },
) {
  app.put<{ Params: { name: string }; Body: RuntimeDeployRequest }>(
    '/functions/:name',
    { schema: { params: NameParams, body: DeployBody } },
    async function deployFunction(request) {
      if (Buffer.byteLength(request.body.code) > maxCodeBytes) {
        throw new AppError(
          422,
          ErrorCode.FUNCTION_INVALID,
          `Invalid function code: larger than ${maxCodeBytes} bytes`,
        );
      }
      return host.deploy(request.params.name, request.body);
    },
  );
}
