import { readLimitedBody } from '../../modules/webhooks/request-body.ts';
import { ref } from '../../schemas/common.ts';
import type { WebhooksRouteModule } from './context.ts';
import { WebhookTokenParams, WebhookTriggerAccepted } from './delivery-schemas.ts';

/**
 * POST /webhooks/trigger/{webhook_token}: the public URL a provider calls (no API key, no token: the webhook token
 * is the credential). Answers 202 at once with the delivery queued; the function runs from the job queue. 404 for an
 * unknown, malformed or inactive token; 413 past WEBHOOK_MAX_BODY_KB; 401 WEBHOOK_SIGNATURE_INVALID for a signature
 * that does not verify (recorded, not run); 429 past the webhook's rate_limit_per_minute (Retry-After).
 */
const triggerWebhook: WebhooksRouteModule = (app, ctx) => {
  app.post<{ Params: WebhookTokenParams }>(
    '/webhooks/trigger/:webhook_token',
    {
      schema: {
        operationId: 'triggerWebhook',
        summary: 'Trigger Webhook',
        description:
          'Public endpoint to trigger a webhook by token. No authentication or API key required: the webhook token ' +
          'is the credential. Any JSON body; GitHub (X-Hub-Signature-256), Stripe (Stripe-Signature) and Standard ' +
          "Webhooks (webhook-signature) signatures are verified with the webhook's secret_key when sent.",
        tags: ['webhooks', 'webhooks-public'],
        params: WebhookTokenParams,
        response: { 202: ref(WebhookTriggerAccepted) },
      },
    },
    async function triggerWebhookByToken(request, reply) {
      const { maxBodyBytes } = ctx.config.webhooks;
      const webhook = await ctx.deliveries.findActiveWebhook(request.params.webhook_token);
      const rawBody = await readLimitedBody(request.raw, maxBodyBytes, request.headers['content-length']);
      const accepted = await ctx.deliveries.acceptDelivery(webhook, {
        rawBody,
        headers: request.headers,
        sourceIp: request.ip ?? null,
      });
      return reply.code(202).send(accepted);
    },
  );
};

export default triggerWebhook;
