import { currentUser } from '../../plugins/auth.ts';
import { ref } from '../../schemas/common.ts';
import { BEARER } from '../context.ts';
import type { WebhooksRouteModule } from './context.ts';
import { PageQuery, WebhookDeliveryListResponse, WebhookIdParams } from './schemas.ts';

/** GET /webhooks/{webhook_id}/deliveries: the webhook's deliveries, newest first (admins only). */
const listWebhookDeliveries: WebhooksRouteModule = (app, ctx) => {
  app.get<{ Params: WebhookIdParams; Querystring: PageQuery }>(
    '/webhooks/:webhook_id/deliveries',
    {
      schema: {
        operationId: 'listWebhookDeliveries',
        summary: 'List the deliveries of a webhook',
        tags: ['webhooks'],
        security: BEARER,
        params: WebhookIdParams,
        querystring: PageQuery,
        response: { 200: ref(WebhookDeliveryListResponse) },
      },
      preHandler: ctx.auth.requireUser,
    },
    async function listWebhookDeliveriesHandler(request) {
      const { limit = 20, offset = 0 } = request.query;
      return ctx.webhooks.listDeliveries(currentUser(request), request.params.webhook_id, { limit, offset });
    },
  );
};

export default listWebhookDeliveries;
