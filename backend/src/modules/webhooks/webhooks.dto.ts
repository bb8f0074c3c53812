import type { WebhookDeliveryRow, WebhookRow } from './webhooks.repository.ts';

/**
 * What every response shows in place of a webhook's `secret_key`, except the one that sets it (create, and a PATCH
 * that changes it): the secret is shown once (docs/compatibility.md).
 */
export const MASKED_SECRET = '********';

/** SelfDB 0.0.5's WebhookRead. */
export interface WebhookDto {
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
  retry_enabled: boolean;
  rate_limit_per_minute: number;
  retry_attempts: number;
  retry_delay_seconds: number;
  last_received_at: string | null;
  last_delivery_status: string | null;
  successful_delivery_count: number;
  failed_delivery_count: number;
  total_delivery_count: number;
  created_at: string | null;
  updated_at: string | null;
}

/** SelfDB 0.0.5's WebhookDeliveryRead. */
export interface WebhookDeliveryDto {
  id: string;
  webhook_id: string;
  function_id: string;
  source_ip: string | null;
  request_headers: Record<string, unknown> | null;
  request_body: Record<string, unknown> | null;
  signature_valid: boolean | null;
  status: string;
  delivery_attempt: number;
  processing_started_at: string | null;
  function_execution_id: string | null;
  execution_result: Record<string, unknown> | null;
  error_message: string | null;
  execution_time_ms: number | null;
  response_status_code: number | null;
  retry_count: number;
  next_retry_at: string | null;
  created_at: string;
  received_at: string | null;
  processing_completed_at: string | null;
  updated_at: string;
}

const iso = (date: Date | null) => (date ? date.toISOString() : null);

/** The webhook as responses show it: `secret_key` masked unless `revealSecret` (the response that set it). */
export function toWebhookDto(row: WebhookRow, revealSecret = false): WebhookDto {
  return {
    id: row.id,
    function_id: row.function_id,
    owner_id: row.owner_id,
    name: row.name,
    description: row.description,
    provider: row.provider,
    provider_event_type: row.provider_event_type,
    webhook_token: row.webhook_token,
    secret_key: revealSecret ? row.secret_key : MASKED_SECRET,
    is_active: row.is_active,
    retry_enabled: row.retry_enabled,
    rate_limit_per_minute: row.rate_limit_per_minute,
    retry_attempts: row.retry_attempts,
    retry_delay_seconds: row.retry_delay_seconds,
    last_received_at: iso(row.last_received_at),
    last_delivery_status: row.last_delivery_status,
    successful_delivery_count: row.successful_delivery_count ?? 0,
    failed_delivery_count: row.failed_delivery_count ?? 0,
    total_delivery_count: row.total_delivery_count ?? 0,
    created_at: iso(row.created_at),
    updated_at: iso(row.updated_at),
  };
}

/** 0.0.5 types these JSON columns as objects or null: any other JSON value is wrapped as `{value}`. */
function jsonObject(value: unknown): Record<string, unknown> | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'object' && !Array.isArray(value)) return value as Record<string, unknown>;
  return { value };
}

export function toDeliveryDto(row: WebhookDeliveryRow): WebhookDeliveryDto {
  const created = row.created_at ?? row.received_at ?? new Date(0);
  return {
    id: row.id,
    webhook_id: row.webhook_id,
    function_id: row.function_id,
    source_ip: row.source_ip,
    request_headers: jsonObject(row.request_headers),
    request_body: jsonObject(row.request_body),
    signature_valid: row.signature_valid,
    status: row.status,
    delivery_attempt: row.delivery_attempt,
    processing_started_at: iso(row.processing_started_at),
    function_execution_id: row.function_execution_id,
    execution_result: jsonObject(row.execution_result),
    error_message: row.error_message,
    execution_time_ms: row.execution_time_ms,
    response_status_code: row.response_status_code,
    retry_count: row.retry_count,
    next_retry_at: iso(row.next_retry_at),
    created_at: created.toISOString(),
    received_at: iso(row.received_at),
    processing_completed_at: iso(row.processing_completed_at),
    updated_at: (row.updated_at ?? created).toISOString(),
  };
}
