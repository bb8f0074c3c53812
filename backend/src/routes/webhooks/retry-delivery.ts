import { currentUser } from '../../plugins/auth.ts';
import { ref } from '../../schemas/common.ts';
import type { WebhooksRouteModule } from './context.ts';
import { DeliveryIdParams } from './delivery-schemas.ts';
import { WebhookDeliveryRead } from './schemas.ts';

/**
 * POST /webhooks/deliveries/{delivery_id}/retry: runs a delivery again with its stored body (admins only). Answers
 * the delivery, queued again with retry_count and delivery_attempt incremented; 404 for an unknown id, 409 while it
 * is still queued or running (or when it failed its signature check).
 */
const retryDelivery: WebhooksRouteModule = (app, ctx) => {
  app.post<{ Params: DeliveryIdParams }>(
    '/webhooks/deliveries/:delivery_id/retry',
    {
      schema: {
        operationId: 'retryWebhookDelivery',
        summary: 'Retry Delivery',
        description: 'Retry a webhook delivery with its stored body. Admin only.',
        tags: ['webhooks'],
        security: [{ HTTPBearer: [] }],
        params: DeliveryIdParams,
        response: { 200: ref(WebhookDeliveryRead) },
      },
      preHandler: ctx.auth.requireUser,
    },
    async function retryWebhookDelivery(request) {
      return ctx.deliveries.retryDelivery(currentUser(request), request.params.delivery_id);
    },
  );
};

export default retryDelivery;
