import type { Queryable } from '@selfdb/common';
import type { WebhookDeliveryRow } from './webhooks.repository.ts';

/** What the public trigger needs of a webhook (and of its function). */
export interface TriggerWebhookRow {
  id: string;
  function_id: string;
  function_name: string;
  secret_key: string;
  is_active: boolean;
  rate_limit_per_minute: number;
  retry_enabled: boolean;
  retry_attempts: number;
  retry_delay_seconds: number;
}

/** A `webhook_deliveries` row (one definition: webhooks.repository.ts). */
export type DeliveryRow = WebhookDeliveryRow;

const TRIGGER_COLUMNS = `w.id, w.function_id, f.name AS function_name, w.secret_key, w.is_active,
  w.rate_limit_per_minute, w.retry_enabled, w.retry_attempts, w.retry_delay_seconds`;

/** The webhook of a trigger token, with its function's name; null when no webhook has it. */
export async function findWebhookByToken(db: Queryable, token: string): Promise<TriggerWebhookRow | null> {
  const { rows } = await db.query<TriggerWebhookRow>(
    `SELECT ${TRIGGER_COLUMNS} FROM webhooks w JOIN functions f ON f.id = w.function_id
     WHERE w.webhook_token = $1`,
    [token],
  );
  return rows[0] ?? null;
}

/**
 * Locks a webhook's row for the rest of the transaction and reads it again: deliveries to one webhook are counted and
 * recorded one at a time across every backend process, so the rate limit holds exactly.
 */
export async function lockWebhook(db: Queryable, webhookId: string): Promise<TriggerWebhookRow | null> {
  const { rows } = await db.query<TriggerWebhookRow>(
    `SELECT ${TRIGGER_COLUMNS} FROM webhooks w JOIN functions f ON f.id = w.function_id
     WHERE w.id = $1 FOR UPDATE OF w`,
    [webhookId],
  );
  return rows[0] ?? null;
}

/**
 * Deliveries recorded for a webhook in the last `windowSeconds` (counted up to `cap`), and when the oldest of them
 * leaves the window (the Retry-After of a refused one).
 */
export async function countRecentDeliveries(
  db: Queryable,
  webhookId: string,
  windowSeconds: number,
  cap: number,
): Promise<{ count: number; secondsUntilFree: number }> {
  const { rows } = await db.query<{ count: number; seconds_until_free: number | null }>(
    `SELECT count(*)::int AS count,
            ceil(extract(epoch FROM min(created_at) + make_interval(secs => $2) - clock_timestamp()))::int
              AS seconds_until_free
     FROM (SELECT created_at FROM webhook_deliveries
           WHERE webhook_id = $1 AND created_at > clock_timestamp() - make_interval(secs => $2)
           ORDER BY created_at DESC LIMIT $3) recent`,
    [webhookId, windowSeconds, cap],
  );
  const row = rows[0];
  return { count: row?.count ?? 0, secondsUntilFree: Math.max(1, row?.seconds_until_free ?? 1) };
}

export interface NewDelivery {
  webhookId: string;
  functionId: string;
  sourceIp: string | null;
  requestHeaders: Record<string, string>;
  requestBody: unknown;
  signatureValid: boolean | null;
  status: 'queued' | 'failed';
  errorMessage: string | null;
}

/** Records a delivery; `created_at`/`received_at` are the clock time (the rate limit's window counts them). */
export async function insertDelivery(db: Queryable, delivery: NewDelivery): Promise<DeliveryRow> {
  const { rows } = await db.query<DeliveryRow>(
    `INSERT INTO webhook_deliveries
       (webhook_id, function_id, source_ip, request_headers, request_body, signature_valid, status, error_message,
        processing_completed_at, created_at, received_at, updated_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7::varchar, $8, CASE WHEN $7::varchar = 'failed' THEN clock_timestamp() END,
             clock_timestamp(), clock_timestamp(), clock_timestamp())
     RETURNING *`,
    [
      delivery.webhookId,
      delivery.functionId,
      delivery.sourceIp,
      JSON.stringify(delivery.requestHeaders),
      JSON.stringify(delivery.requestBody),
      delivery.signatureValid,
      delivery.status,
      delivery.errorMessage,
    ],
  );
  return rows[0] as DeliveryRow;
}

/** Counts a received delivery on its webhook; one refused at the door (bad signature) counts as failed too. */
export async function recordReceived(db: Queryable, webhookId: string, status: 'queued' | 'failed') {
  await db.query(
    `UPDATE webhooks SET
       total_delivery_count = COALESCE(total_delivery_count, 0) + 1,
       failed_delivery_count = COALESCE(failed_delivery_count, 0) + CASE WHEN $2::varchar = 'failed' THEN 1 ELSE 0 END,
       last_received_at = clock_timestamp(),
       last_delivery_status = $2::varchar
     WHERE id = $1`,
    [webhookId, status],
  );
}

/** A delivery, locked for the rest of the transaction (a manual retry); null when there is none. */
export async function lockDelivery(db: Queryable, deliveryId: string): Promise<DeliveryRow | null> {
  const { rows } = await db.query<DeliveryRow>('SELECT * FROM webhook_deliveries WHERE id = $1 FOR UPDATE', [
    deliveryId,
  ]);
  return rows[0] ?? null;
}

/** The retry settings of a delivery's webhook. */
export async function findWebhookRetrySettings(
  db: Queryable,
  webhookId: string,
): Promise<Pick<TriggerWebhookRow, 'retry_enabled' | 'retry_attempts' | 'retry_delay_seconds'> | null> {
  const { rows } = await db.query<TriggerWebhookRow>(
    'SELECT retry_enabled, retry_attempts, retry_delay_seconds FROM webhooks WHERE id = $1',
    [webhookId],
  );
  return rows[0] ?? null;
}

/** Puts a finished delivery back in the queue as a new attempt: the outcome of the last one is cleared. */
export async function requeueDelivery(db: Queryable, deliveryId: string): Promise<DeliveryRow> {
  const { rows } = await db.query<DeliveryRow>(
    `UPDATE webhook_deliveries SET
       status = 'queued',
       retry_count = retry_count + 1,
       delivery_attempt = delivery_attempt + 1,
       processing_started_at = NULL,
       processing_completed_at = NULL,
       function_execution_id = NULL,
       execution_result = NULL,
       error_message = NULL,
       execution_time_ms = NULL,
       response_status_code = NULL,
       next_retry_at = NULL,
       updated_at = clock_timestamp()
     WHERE id = $1
     RETURNING *`,
    [deliveryId],
  );
  return rows[0] as DeliveryRow;
}
