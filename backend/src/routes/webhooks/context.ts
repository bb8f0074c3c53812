import type { DeliveriesService } from '../../modules/webhooks/deliveries.service.ts';
import type { WebhooksService } from '../../modules/webhooks/webhooks.service.ts';
import type { RouteContext, RouteModule } from '../context.ts';

/** What `/webhooks` routes get: the webhooks management service and the deliveries service (trigger, retry). */
export interface WebhooksContext extends RouteContext {
  webhooks: WebhooksService;
  deliveries: DeliveriesService;
}

export type WebhooksRouteModule = RouteModule<WebhooksContext>;
