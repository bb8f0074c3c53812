import { currentUser } from '../../plugins/auth.ts';
import { ref } from '../../schemas/common.ts';
import { BEARER } from '../context.ts';
import type { WebhooksRouteModule } from './context.ts';
import { WebhookIdParams, WebhookRead } from './schemas.ts';

/** GET /webhooks/{webhook_id}: one webhook, secret masked (admins only). */
const getWebhook: WebhooksRouteModule = (app, ctx) => {
  app.get<{ Params: WebhookIdParams }>(
    '/webhooks/:webhook_id',
    {
      schema: {
        operationId: 'getWebhook',
        summary: 'Get a webhook',
        tags: ['webhooks'],
        security: BEARER,
        params: WebhookIdParams,
        response: { 200: ref(WebhookRead) },
      },
      preHandler: ctx.auth.requireUser,
    },
    async function getWebhookHandler(request) {
      return ctx.webhooks.get(currentUser(request), request.params.webhook_id);
    },
  );
};

export default getWebhook;
