import { currentUser } from '../../plugins/auth.ts';
import { ref } from '../../schemas/common.ts';
import { BEARER } from '../context.ts';
import type { WebhooksRouteModule } from './context.ts';
import { WebhookCreate, WebhookRead } from './schemas.ts';

/**
 * POST /webhooks/: a webhook for a function, with a random trigger token; the only response that shows
 * `secret_key` in clear. 404 "Function not found" for an unknown `function_id` (admins only).
 */
const createWebhook: WebhooksRouteModule = (app, ctx) => {
  app.post<{ Body: WebhookCreate }>(
    '/webhooks/',
    {
      schema: {
        operationId: 'createWebhook',
        summary: 'Create a webhook',
        tags: ['webhooks'],
        security: BEARER,
        body: ref(WebhookCreate),
        response: { 201: ref(WebhookRead) },
      },
      preHandler: ctx.auth.requireUser,
    },
    async function createWebhookHandler(request, reply) {
      return reply.code(201).send(await ctx.webhooks.create(currentUser(request), request.body));
    },
  );
};

export default createWebhook;
