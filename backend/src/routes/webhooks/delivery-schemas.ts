import { type Static, Type } from 'typebox';

const nullable = <T extends Parameters<typeof Type.Union>[0][number]>(schema: T) =>
  Type.Union([schema, Type.Null()]);
const dateTime = Type.String({ format: 'date-time' });

/** A webhook delivery, as SelfDB 0.0.5's WebhookDeliveryRead. */
export const WebhookDeliveryRead = Type.Object(
  {
    id: Type.String({ format: 'uuid' }),
    webhook_id: Type.String({ format: 'uuid' }),
    function_id: Type.String({ format: 'uuid' }),
    source_ip: nullable(Type.String()),
    request_headers: nullable(
      Type.Record(Type.String(), Type.Unknown(), {
        description: 'Headers as received, without credentials; signature values redacted',
      }),
    ),
    request_body: Type.Unknown({ description: 'The JSON body as received ({} when it was not JSON)' }),
    signature_valid: nullable(Type.Boolean({ description: 'null: the request carried no signature' })),
    status: Type.String({
      description: 'received | queued | executing | completed | failed | retry_pending',
    }),
    delivery_attempt: Type.Integer(),
    processing_started_at: nullable(dateTime),
    function_execution_id: nullable(Type.String({ format: 'uuid' })),
    execution_result: Type.Unknown(),
    error_message: nullable(Type.String()),
    execution_time_ms: nullable(Type.Integer()),
    response_status_code: nullable(Type.Integer()),
    retry_count: Type.Integer(),
    next_retry_at: nullable(dateTime),
    created_at: dateTime,
    received_at: nullable(dateTime),
    processing_completed_at: nullable(dateTime),
    updated_at: dateTime,
  },
  {
    $id: 'WebhookDeliveryRead',
    title: 'WebhookDeliveryRead',
    description: 'Webhook delivery returned to client.',
  },
);

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

export const WEBHOOK_DELIVERY_SCHEMAS = [WebhookDeliveryRead, WebhookTriggerAccepted];
