import type { FastifyReply, FastifyRequest } from 'fastify';
import { OPTIONAL_BEARER } from '../context.ts';
import type { FunctionsRouteModule } from './context.ts';

const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;
const PREFIX = '/functions/';

/** The path after /functions/{name}/invoke, with its query string (at least '/'). */
function pathAfterInvoke(url: string): string {
  const at = url.indexOf('/invoke', PREFIX.length);
  const rest = at < 0 ? '' : url.slice(at + '/invoke'.length);
  return rest.startsWith('/') ? rest : `/${rest}`;
}

/**
 * ANY /functions/{name}/invoke and /functions/{name}/invoke/{rest}: the HTTP trigger. API key required; a bearer
 * token is optional, and when sent must be valid (401 otherwise): its user reaches the function as context.user.
 * The methods are those the function's http triggers declare (405 with Allow otherwise); an unknown, inactive or
 * undeployed function, or one without an http trigger, is 404. The body is passed through as bytes (at most
 * INVOKE_MAX_BODY_BYTES, 413 above), and the function's response comes back as it gave it (status, headers without
 * hop-by-hop ones, body), once the run is recorded.
 */
const invokeFunction: FunctionsRouteModule = (app, ctx) => {
  async function authenticate(request: FastifyRequest) {
    if (request.headers.authorization !== undefined) await ctx.auth.requireUser(request);
  }

  async function invokeFunctionHandler(request: FastifyRequest, reply: FastifyReply) {
    const { name } = request.params as { name: string };
    const user = request.user;
    const response = await ctx.functionTriggers.invoke(name, {
      method: request.method,
      path: pathAfterInvoke(request.url),
      headers: request.headers,
      body: Buffer.isBuffer(request.body) ? request.body : null,
      user: user ? { id: user.id, email: user.email, role: user.role } : null,
    });
    return reply.code(response.status).headers(response.headers).send(response.body);
  }

  const params = {
    type: 'object',
    required: ['name'],
    properties: { name: { type: 'string', minLength: 1, maxLength: 255 } },
  };
  for (const method of METHODS) {
    app.route({
      method,
      url: '/functions/:name/invoke',
      schema: {
        operationId: `invokeFunction${method[0]}${method.slice(1).toLowerCase()}`,
        summary: `Invoke a function over HTTP (${method})`,
        description:
          "Runs the function's HTTP trigger with this request; answers with the function's response. Also " +
          'reachable at /functions/{name}/invoke/{path}, which passes the rest of the path to the function.',
        tags: ['functions'],
        security: OPTIONAL_BEARER,
        params,
      },
      preHandler: authenticate,
      handler: invokeFunctionHandler,
    });
  }
  app.route({
    method: [...METHODS],
    url: '/functions/:name/invoke/*',
    schema: { hide: true },
    preHandler: authenticate,
    handler: invokeFunctionHandler,
  });
};

export default invokeFunction;
