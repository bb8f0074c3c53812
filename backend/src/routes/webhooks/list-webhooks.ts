import { currentUser } from '../../plugins/auth.ts';
import { ref } from '../../schemas/common.ts';
import { BEARER } from '../context.ts';
import type { WebhooksRouteModule } from './context.ts';
import { PageQuery, WebhookListResponse } from './schemas.ts';

/** GET /webhooks/: a page of webhooks, newest first, secrets masked (admins only). */
const listWebhooks: WebhooksRouteModule = (app, ctx) => {
  app.get<{ Querystring: PageQuery }>(
    '/webhooks/',
    {
      schema: {
        operationId: 'listWebhooks',
        summary: 'List webhooks',
        tags: ['webhooks'],
        security: BEARER,
        querystring: PageQuery,
        response: { 200: ref(WebhookListResponse) },
      },
      preHandler: ctx.auth.requireUser,
    },
    async function listWebhooksHandler(request) {
      const { limit = 20, offset = 0 } = request.query;
      return ctx.webhooks.list(currentUser(request), { limit, offset });
    },
  );
};

export default listWebhooks;
