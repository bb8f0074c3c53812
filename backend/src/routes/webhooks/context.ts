import type { FastifyInstance } from 'fastify';
import type { WebhooksService } from '../../modules/webhooks/webhooks.service.ts';
import type { FunctionsContext } from '../functions/context.ts';

/** What `/webhooks` routes get: the functions area's context plus the webhooks management service. */
export interface WebhooksContext extends FunctionsContext {
  webhooks: WebhooksService;
}

export type WebhooksRouteModule = (app: FastifyInstance, ctx: WebhooksContext) => void;
