import { type Static, Type } from 'typebox';
import { Nullable, Uuid } from '../../schemas/common.ts';
import { MASKED_SECRET } from '../../modules/webhooks/webhooks.dto.ts';

// SelfDB 0.0.5's limits (backend/models/webhook.py).
const Name = Type.String({ minLength: 1, maxLength: 255, pattern: '\\S', description: 'Webhook name' });
const Description = Type.String({ maxLength: 1000 });
/** Non-blank; at most 255 characters (the column's size). */
const SecretKey = Type.String({
  minLength: 1,
  maxLength: 255,
  pattern: '\\S',
  description: 'HMAC secret key for signature verification (returned only by the response that sets it)',
});
const RateLimit = Type.Integer({ minimum: 1, maximum: 10000 });
const RetryAttempts = Type.Integer({ minimum: 1, maximum: 10 });
const RetryDelay = Type.Integer({ minimum: 1, maximum: 3600 });
const DateTime = Type.String({ format: 'date-time' });
const NullableDateTime = Type.Union([DateTime, Type.Null()]);
const NullableObject = Type.Union([Type.Object({}, { additionalProperties: true }), Type.Null()]);

export const WebhookCreate = Type.Object(
  {
    function_id: Type.String({ format: 'uuid', description: 'UUID of the associated function' }),
    name: Name,
    description: Nullable(Description),
    secret_key: SecretKey,
    provider: Nullable(Type.String({ maxLength: 50 })),
    provider_event_type: Nullable(Type.String({ maxLength: 255 })),
    rate_limit_per_minute: Type.Optional(Type.Integer({ minimum: 1, maximum: 10000, default: 100 })),
    retry_attempts: Type.Optional(Type.Integer({ minimum: 1, maximum: 10, default: 3 })),
    retry_delay_seconds: Type.Optional(Type.Integer({ minimum: 1, maximum: 3600, default: 60 })),
  },
  { additionalProperties: false, $id: 'WebhookCreate', title: 'WebhookCreate' },
);
export type WebhookCreate = Static<typeof WebhookCreate>;

export const WebhookUpdate = Type.Object(
  {
    name: Nullable(Name),
    description: Nullable(Description),
    secret_key: Nullable(SecretKey),
    is_active: Nullable(Type.Boolean()),
    rate_limit_per_minute: Nullable(RateLimit),
    retry_attempts: Nullable(RetryAttempts),
    retry_delay_seconds: Nullable(RetryDelay),
  },
  {
    additionalProperties: false,
    $id: 'WebhookUpdate',
    title: 'WebhookUpdate',
    description: 'Absent or null fields are left unchanged (`description: null` clears it).',
  },
);
export type WebhookUpdate = Static<typeof WebhookUpdate>;

export const WebhookRead = Type.Object(
  {
    id: Uuid,
    function_id: Uuid,
    owner_id: Uuid,
    name: Type.String(),
    description: Type.Union([Type.String(), Type.Null()]),
    provider: Type.Union([Type.String(), Type.Null()]),
    provider_event_type: Type.Union([Type.String(), Type.Null()]),
    webhook_token: Type.String({
      description: 'The secret part of the trigger URL /webhooks/trigger/{token}',
    }),
    secret_key: Type.String({
      description: `In clear only in the response that sets it (create, or a PATCH with a new one); "${MASKED_SECRET}" everywhere else`,
    }),
    is_active: Type.Boolean(),
    retry_enabled: Type.Boolean(),
    rate_limit_per_minute: Type.Integer(),
    retry_attempts: Type.Integer(),
    retry_delay_seconds: Type.Integer(),
    last_received_at: NullableDateTime,
    last_delivery_status: Type.Union([Type.String(), Type.Null()]),
    successful_delivery_count: Type.Integer(),
    failed_delivery_count: Type.Integer(),
    total_delivery_count: Type.Integer(),
    created_at: NullableDateTime,
    updated_at: NullableDateTime,
  },
  { $id: 'WebhookRead', title: 'WebhookRead' },
);

export const WebhookListResponse = Type.Object(
  {
    webhooks: Type.Array(Type.Unsafe({ $ref: 'WebhookRead#' })),
    total: Type.Integer(),
    limit: Type.Integer(),
    offset: Type.Integer(),
  },
  { $id: 'WebhookListResponse', title: 'WebhookListResponse' },
);

export const WebhookDeliveryRead = Type.Object(
  {
    id: Uuid,
    webhook_id: Uuid,
    function_id: Uuid,
    source_ip: Type.Union([Type.String(), Type.Null()]),
    request_headers: NullableObject,
    request_body: NullableObject,
    signature_valid: Type.Union([Type.Boolean(), Type.Null()]),
    status: Type.String({ description: 'received, queued, executing, completed, failed, retry_pending' }),
    delivery_attempt: Type.Integer(),
    processing_started_at: NullableDateTime,
    function_execution_id: Type.Union([Uuid, Type.Null()]),
    execution_result: NullableObject,
    error_message: Type.Union([Type.String(), Type.Null()]),
    execution_time_ms: Type.Union([Type.Integer(), Type.Null()]),
    response_status_code: Type.Union([Type.Integer(), Type.Null()]),
    retry_count: Type.Integer(),
    next_retry_at: NullableDateTime,
    created_at: DateTime,
    received_at: NullableDateTime,
    processing_completed_at: NullableDateTime,
    updated_at: DateTime,
  },
  { $id: 'WebhookDeliveryRead', title: 'WebhookDeliveryRead' },
);

export const WebhookDeliveryListResponse = Type.Object(
  {
    deliveries: Type.Array(Type.Unsafe({ $ref: 'WebhookDeliveryRead#' })),
    total: Type.Integer(),
    limit: Type.Integer(),
    offset: Type.Integer(),
  },
  { $id: 'WebhookDeliveryListResponse', title: 'WebhookDeliveryListResponse' },
);

export const WebhookIdParams = Type.Object({ webhook_id: Uuid });
export type WebhookIdParams = Static<typeof WebhookIdParams>;

/** limit 1..100 (20), offset: the list operations of `/webhooks`. */
export const PageQuery = Type.Object({
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 20 })),
  offset: Type.Optional(Type.Integer({ minimum: 0, maximum: 2147483647, default: 0 })),
});
export type PageQuery = Static<typeof PageQuery>;

export const NoContent = (description: string) => Type.Null({ description });

export const WEBHOOK_SCHEMAS = [
  WebhookCreate,
  WebhookUpdate,
  WebhookRead,
  WebhookListResponse,
  WebhookDeliveryRead,
  WebhookDeliveryListResponse,
];
