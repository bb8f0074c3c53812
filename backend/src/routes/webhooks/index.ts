import type { FastifyInstance } from 'fastify';
import type { WebhooksContext } from './context.ts';
import createWebhook from './create-webhook.ts';
import { webhookDeliveryRoutes } from './deliveries-routes.ts';
import deleteWebhook from './delete-webhook.ts';
import getWebhook from './get-webhook.ts';
import listWebhookDeliveries from './list-webhook-deliveries.ts';
import listWebhooks from './list-webhooks.ts';
import regenerateWebhookToken from './regenerate-webhook-token.ts';
import updateWebhook from './update-webhook.ts';

/** The `/webhooks` operations of SelfDB 0.0.5 (admin only, except the public trigger), in its document's order. */
export async function webhooksRoutes(app: FastifyInstance, ctx: WebhooksContext) {
  for (const route of [
    listWebhooks,
    createWebhook,
    getWebhook,
    updateWebhook,
    deleteWebhook,
    regenerateWebhookToken,
    listWebhookDeliveries,
  ]) {
    route(app, ctx);
  }
  await app.register(webhookDeliveryRoutes, ctx);
}
