import { currentUser } from '../../plugins/auth.ts';
import { BEARER } from '../context.ts';
import type { FunctionsRouteModule } from './context.ts';

/**
 * POST /functions/events: admin. Sends an event to every active, deployed function that declares
 * `{type: 'event', event}`: each gets one run from the job queue with `{event, data}` as its body. Answers 202 with
 * how many runs were queued (0 when no function listens).
 */
const emitEvent: FunctionsRouteModule = (app, ctx) => {
  app.post(
    '/functions/events',
    {
      schema: {
        operationId: 'emitFunctionEvent',
        summary: 'Send an event to the functions that listen to it',
        tags: ['functions'],
        security: BEARER,
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['event'],
          properties: {
            event: { type: 'string', minLength: 1, maxLength: 255 },
            data: {},
          },
        },
        response: {
          202: {
            type: 'object',
            properties: { event: { type: 'string' }, queued: { type: 'integer' } },
            required: ['event', 'queued'],
          },
        },
      },
      preHandler: ctx.auth.requireUser,
    },
    async function emitFunctionEvent(request, reply) {
      const { event, data } = request.body as { event: string; data?: unknown };
      const result = await ctx.functionTriggers.emitEvent(currentUser(request), event, data);
      return reply.code(202).send(result);
    },
  );
};

export default emitEvent;
