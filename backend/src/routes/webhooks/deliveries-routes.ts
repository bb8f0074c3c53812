import { drainAfterResponse } from '@selfdb/common';
import type { FastifyInstance } from 'fastify';
import type { WebhooksContext } from './context.ts';
import retryDelivery from './retry-delivery.ts';
import triggerWebhook from './trigger-webhook.ts';

/**
 * The delivery side of `/webhooks`: the public trigger URL and the admin's manual
 * retry. The webhooks' own CRUD lives in ./index.ts.
 */
export async function webhookDeliveryRoutes(app: FastifyInstance, ctx: WebhooksContext) {
  retryDelivery(app, ctx);
  // The trigger takes any body in any Content-Type, unread: it reads the raw bytes itself (the signature is over
  // them) under its own size limit.
  await app.register(async (raw) => {
    raw.removeAllContentTypeParsers();
    raw.addContentTypeParser('*', (_request, _payload, done) => done(null));
    // Refused before the body was read (413, 404): the rest is dropped after the response.
    raw.addHook('onError', async (request, reply) => drainAfterResponse(request.raw, reply.raw));
    triggerWebhook(raw, ctx);
  });
}
