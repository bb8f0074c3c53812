import { type Static, Type } from 'typebox';

export const WebhookTriggerAccepted = Type.Object(
  {
    accepted: Type.Boolean(),
    delivery_id: Type.String({ format: 'uuid' }),
    function: Type.String({ description: 'Name of the function the delivery runs' }),
  },
  { $id: 'WebhookTriggerAccepted', title: 'WebhookTriggerAccepted' },
);

export const WebhookTokenParams = Type.Object({ webhook_token: Type.String({ title: 'Webhook Token' }) });
export type WebhookTokenParams = Static<typeof WebhookTokenParams>;

export const DeliveryIdParams = Type.Object({
  delivery_id: Type.String({ format: 'uuid', title: 'Delivery Id' }),
});
export type DeliveryIdParams = Static<typeof DeliveryIdParams>;

export const WEBHOOK_DELIVERY_SCHEMAS = [WebhookTriggerAccepted];
