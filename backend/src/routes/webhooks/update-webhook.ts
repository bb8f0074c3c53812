import { currentUser } from '../../plugins/auth.ts';
import { ref } from '../../schemas/common.ts';
import { BEARER } from '../context.ts';
import type { WebhooksRouteModule } from './context.ts';
import { WebhookIdParams, WebhookRead, WebhookUpdate } from './schemas.ts';

/** PATCH /webhooks/{webhook_id}: edits a webhook; a new `secret_key` is shown in this response only (admins only). */
const updateWebhook: WebhooksRouteModule = (app, ctx) => {
  app.patch<{ Params: WebhookIdParams; Body: WebhookUpdate }>(
    '/webhooks/:webhook_id',
    {
      schema: {
        operationId: 'updateWebhook',
        summary: 'Update a webhook',
        tags: ['webhooks'],
        security: BEARER,
        params: WebhookIdParams,
        body: ref(WebhookUpdate),
        response: { 200: ref(WebhookRead) },
      },
      preHandler: ctx.auth.requireUser,
    },
    async function updateWebhookHandler(request) {
      return ctx.webhooks.update(currentUser(request), request.params.webhook_id, request.body);
    },
  );
};

export default updateWebhook;
