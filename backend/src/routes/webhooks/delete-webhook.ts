import { currentUser } from '../../plugins/auth.ts';
import { BEARER } from '../context.ts';
import type { WebhooksRouteModule } from './context.ts';
import { NoContent, WebhookIdParams } from './schemas.ts';

/** DELETE /webhooks/{webhook_id}: deletes a webhook and its deliveries (admins only). */
const deleteWebhook: WebhooksRouteModule = (app, ctx) => {
  app.delete<{ Params: WebhookIdParams }>(
    '/webhooks/:webhook_id',
    {
      schema: {
        operationId: 'deleteWebhook',
        summary: 'Delete a webhook',
        tags: ['webhooks'],
        security: BEARER,
        params: WebhookIdParams,
        response: { 204: NoContent('Webhook deleted') },
      },
      preHandler: ctx.auth.requireUser,
    },
    async function deleteWebhookHandler(request, reply) {
      await ctx.webhooks.remove(currentUser(request), request.params.webhook_id);
      return reply.code(204).send();
    },
  );
};

export default deleteWebhook;
