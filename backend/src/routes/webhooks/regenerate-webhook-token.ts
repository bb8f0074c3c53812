import { currentUser } from '../../plugins/auth.ts';
import { ref } from '../../schemas/common.ts';
import { BEARER } from '../context.ts';
import type { WebhooksRouteModule } from './context.ts';
import { WebhookIdParams, WebhookRead } from './schemas.ts';

/** POST /webhooks/{webhook_id}/regenerate-token: a new trigger token; the old URL answers 404 from now on (admins only). */
const regenerateWebhookToken: WebhooksRouteModule = (app, ctx) => {
  app.post<{ Params: WebhookIdParams }>(
    '/webhooks/:webhook_id/regenerate-token',
    {
      schema: {
        operationId: 'regenerateWebhookToken',
        summary: 'Regenerate the trigger token of a webhook',
        tags: ['webhooks'],
        security: BEARER,
        params: WebhookIdParams,
        response: { 200: ref(WebhookRead) },
      },
      preHandler: ctx.auth.requireUser,
    },
    async function regenerateWebhookTokenHandler(request) {
      return ctx.webhooks.regenerateToken(currentUser(request), request.params.webhook_id);
    },
  );
};

export default regenerateWebhookToken;
