import type { Queryable } from '@selfdb/common';

/** A row of `webhooks` (migration 0035, 0.0.5's columns). */
export interface WebhookRow {
  id: string;
  function_id: string;
  owner_id: string;
  name: string;
  description: string | null;
  provider: string | null;
  provider_event_type: string | null;
  webhook_token: string;
  secret_key: string;
  is_active: boolean;
  rate_limit_per_minute: number;
  retry_enabled: boolean;
  retry_attempts: number;
  retry_delay_seconds: number;
  last_received_at: Date | null;
  last_delivery_status: string | null;
  successful_delivery_count: number | null;
  failed_delivery_count: number | null;
  total_delivery_count: number | null;
  created_at: Date | null;
  updated_at: Date | null;
}

export interface WebhookDeliveryRow {
  id: string;
  webhook_id: string;
  function_id: string;
  source_ip: string | null;
  request_headers: unknown;
  request_body: unknown;
  signature_valid: boolean | null;
  status: string;
  delivery_attempt: number;
  processing_started_at: Date | null;
  function_execution_id: string | null;
  execution_result: unknown;
  error_message: string | null;
  execution_time_ms: number | null;
  response_status_code: number | null;
  retry_count: number;
  next_retry_at: Date | null;
  created_at: Date | null;
  received_at: Date | null;
  processing_completed_at: Date | null;
  updated_at: Date | null;
}

export interface WebhookChanges {
  name?: string;
  description?: string | null;
  secret_key?: string;
  is_active?: boolean;
  rate_limit_per_minute?: number;
  retry_attempts?: number;
  retry_delay_seconds?: number;
}

export const WEBHOOK_COLUMNS = `id, function_id, owner_id, name, description, provider, provider_event_type,
  webhook_token, secret_key, is_active, rate_limit_per_minute, retry_enabled, retry_attempts, retry_delay_seconds,
  last_received_at, last_delivery_status, successful_delivery_count, failed_delivery_count, total_delivery_count,
  created_at, updated_at`;
// Whitelist of columns a PATCH may set (keys are never taken from request text).
const UPDATABLE: ReadonlyArray<keyof WebhookChanges> = [
  'name',
  'description',
  'secret_key',
  'is_active',
  'rate_limit_per_minute',
  'retry_attempts',
  'retry_delay_seconds',
];

export async function findWebhookById(db: Queryable, id: string): Promise<WebhookRow | null> {
  const { rows } = await db.query<WebhookRow>(`SELECT ${WEBHOOK_COLUMNS} FROM webhooks WHERE id = $1`, [id]);
  return rows[0] ?? null;
}

/** Inserts a webhook; null when `function_id` names no function (checked in the same statement, no FK error). */
export async function insertWebhook(
  db: Queryable,
  hook: {
    functionId: string;
    ownerId: string;
    name: string;
    description: string | null;
    provider: string | null;
    providerEventType: string | null;
    token: string;
    secretKey: string;
    rateLimitPerMinute: number;
    retryAttempts: number;
    retryDelaySeconds: number;
  },
): Promise<WebhookRow | null> {
  const { rows } = await db.query<WebhookRow>(
    `INSERT INTO webhooks (function_id, owner_id, name, description, provider, provider_event_type, webhook_token,
       secret_key, rate_limit_per_minute, retry_attempts, retry_delay_seconds)
     SELECT f.id, $2::uuid, $3::text, $4::text, $5::text, $6::text, $7::text, $8::text, $9::int, $10::int, $11::int
     FROM functions f WHERE f.id = $1::uuid
     RETURNING ${WEBHOOK_COLUMNS}`,
    [
      hook.functionId,
      hook.ownerId,
      hook.name,
      hook.description,
      hook.provider,
      hook.providerEventType,
      hook.token,
      hook.secretKey,
      hook.rateLimitPerMinute,
      hook.retryAttempts,
      hook.retryDelaySeconds,
    ],
  );
  return rows[0] ?? null;
}

/** Newest first, as 0.0.5. */
export async function listWebhooks(
  db: Queryable,
  page: { limit: number; offset: number },
): Promise<{ rows: WebhookRow[]; total: number }> {
  const { rows } = await db.query<WebhookRow>(
    `SELECT ${WEBHOOK_COLUMNS} FROM webhooks ORDER BY created_at DESC NULLS LAST, id DESC OFFSET $1 LIMIT $2`,
    [page.offset, page.limit],
  );
  const counted = await db.query<{ count: number }>('SELECT count(*)::int AS count FROM webhooks');
  return { rows, total: counted.rows[0]?.count ?? 0 };
}

/** Updates the given columns; the new row, or null when the webhook does not exist. */
export async function updateWebhook(
  db: Queryable,
  id: string,
  changes: WebhookChanges,
): Promise<WebhookRow | null> {
  const columns = UPDATABLE.filter((column) => changes[column] !== undefined);
  if (columns.length === 0) return findWebhookById(db, id);
  const assignments = columns.map((column, index) => `${column} = $${index + 2}`).join(', ');
  const { rows } = await db.query<WebhookRow>(
    `UPDATE webhooks SET ${assignments}, updated_at = NOW() WHERE id = $1 RETURNING ${WEBHOOK_COLUMNS}`,
    [id, ...columns.map((column) => changes[column])],
  );
  return rows[0] ?? null;
}

export async function updateWebhookToken(
  db: Queryable,
  id: string,
  token: string,
): Promise<WebhookRow | null> {
  const { rows } = await db.query<WebhookRow>(
    `UPDATE webhooks SET webhook_token = $2, updated_at = NOW() WHERE id = $1 RETURNING ${WEBHOOK_COLUMNS}`,
    [id, token],
  );
  return rows[0] ?? null;
}

export async function deleteWebhook(db: Queryable, id: string): Promise<boolean> {
  const { rowCount } = await db.query('DELETE FROM webhooks WHERE id = $1', [id]);
  return (rowCount ?? 0) > 0;
}

/** A webhook's deliveries, newest first. */
export async function listDeliveries(
  db: Queryable,
  webhookId: string,
  page: { limit: number; offset: number },
): Promise<{ rows: WebhookDeliveryRow[]; total: number }> {
  const { rows } = await db.query<WebhookDeliveryRow>(
    `SELECT id, webhook_id, function_id, source_ip, request_headers, request_body, signature_valid, status,
       delivery_attempt, processing_started_at, function_execution_id, execution_result, error_message,
       execution_time_ms, response_status_code, retry_count, next_retry_at, created_at, received_at,
       processing_completed_at, updated_at
     FROM webhook_deliveries WHERE webhook_id = $1
     ORDER BY created_at DESC NULLS LAST, id DESC OFFSET $2 LIMIT $3`,
    [webhookId, page.offset, page.limit],
  );
  const counted = await db.query<{ count: number }>(
    'SELECT count(*)::int AS count FROM webhook_deliveries WHERE webhook_id = $1',
    [webhookId],
  );
  return { rows, total: counted.rows[0]?.count ?? 0 };
}
