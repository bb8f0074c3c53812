import {
  type Actor,
  AppError,
  ErrorCode,
  ERRORS,
  hasSqlState,
  isAdmin,
  jsonDepthExceeds,
  MAX_JSON_DEPTH,
  type Pool,
  SqlState,
  withTransaction,
} from '@selfdb/common';
import { enqueueJob, type NewJob } from '../functions/jobs.repository.ts';
import {
  countRecentDeliveries,
  type DeliveryRow,
  findWebhookByToken,
  findWebhookRetrySettings,
  insertDelivery,
  lockDelivery,
  lockWebhook,
  recordReceived,
  requeueDelivery,
  type TriggerWebhookRow,
} from './deliveries.repository.ts';
import { checkSignature, type HeaderMap, SIGNATURE_HEADERS } from './signatures.ts';
import { toDeliveryDto, type WebhookDeliveryDto } from './webhooks.dto.ts';

export type { DeliveryRow } from './deliveries.repository.ts';

/** 0.0.5's answer to an unknown, malformed or inactive token. */
const WEBHOOK_NOT_FOUND = 'Webhook not found or inactive';
const TOKEN_PATTERN = /^[A-Za-z0-9_-]{1,255}$/;
const RATE_WINDOW_SECONDS = 60;

/** Headers never stored with a delivery: credentials a caller (or a proxy in front) may send. */
const DROPPED_HEADERS = new Set([
  'authorization',
  'proxy-authorization',
  'cookie',
  'set-cookie',
  'x-api-key',
  'x-functions-key',
  'x-storage-key',
  'x-restore-token',
]);
const REDACTED = '[redacted]';
/** Other headers whose names say they carry a secret: kept, with the value replaced. */
const SECRET_NAME = /(secret|token|password|passwd|api[-_]?key|signature|credential|session)/i;

/** The request headers as stored with a delivery: credentials dropped, signatures and secrets redacted. */
export function redactHeaders(headers: HeaderMap): Record<string, string> {
  const kept: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    const lower = name.toLowerCase();
    if (DROPPED_HEADERS.has(lower)) continue;
    kept[lower] =
      SIGNATURE_HEADERS.includes(lower) || SECRET_NAME.test(lower)
        ? REDACTED
        : Array.isArray(value)
          ? value.join(', ')
          : value;
  }
  return kept;
}

/**
 * The body as the function gets it: JSON when it parses (any JSON value), `{}` otherwise, as SelfDB 0.0.5. A body
 * nested deeper than the API allows anywhere is refused (400), not silently emptied.
 */
export function parseDeliveryBody(raw: Buffer): unknown {
  const text = raw.toString('utf8').trim();
  if (text === '') return {};
  if (jsonDepthExceeds(text)) {
    throw AppError.badRequest(
      `JSON body nested deeper than ${MAX_JSON_DEPTH} levels of arrays and objects`,
      ErrorCode.JSON_TOO_DEEP,
    );
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return {};
  }
}

export interface DeliveryRequest {
  rawBody: Buffer;
  headers: HeaderMap;
  sourceIp: string | null;
}

export interface TriggerAccepted {
  accepted: true;
  delivery_id: string;
  function: string;
}

export interface DeliveriesOptions {
  /** WEBHOOK_REQUIRE_SIGNATURE: unsigned deliveries are refused like badly signed ones. */
  requireSignature: boolean;
}

const jobFor = (
  webhook: Pick<TriggerWebhookRow, 'retry_enabled' | 'retry_attempts' | 'retry_delay_seconds'>,
  delivery: Pick<DeliveryRow, 'id' | 'function_id' | 'request_body'>,
): NewJob => ({
  functionId: delivery.function_id,
  triggerType: 'webhook',
  payload: delivery.request_body ?? {},
  webhookDeliveryId: delivery.id,
  maxAttempts: webhook.retry_enabled ? Math.max(1, webhook.retry_attempts) : 1,
  retryDelaySeconds: webhook.retry_delay_seconds,
});

/** Values Postgres cannot hold in jsonb (\u0000, lone surrogates): 22P05/22P02 on insert. */
const isUnstorableJson = (err: unknown) =>
  hasSqlState(err, SqlState.UNTRANSLATABLE_CHARACTER, SqlState.INVALID_TEXT_REPRESENTATION);

/**
 * Incoming webhook deliveries: the public trigger (token → webhook, signature, rate limit, delivery + job in one
 * transaction) and the admin's manual retry.
 */
export function createDeliveriesService(pool: Pool, options: DeliveriesOptions) {
  return {
    /** The active webhook of a trigger token; 404 "Webhook not found or inactive" otherwise (also for bad tokens). */
    async findActiveWebhook(token: string): Promise<TriggerWebhookRow> {
      if (!TOKEN_PATTERN.test(token)) throw AppError.notFound(WEBHOOK_NOT_FOUND);
      const webhook = await findWebhookByToken(pool, token);
      if (!webhook?.is_active) throw AppError.notFound(WEBHOOK_NOT_FOUND);
      return webhook;
    },

    /**
     * Records a delivery and queues its run, or refuses it: 429 past the webhook's rate limit (nothing recorded),
     * 401 for a signature that does not verify (recorded as failed, never run). The delivery and its job are
     * written in one transaction, so an accepted delivery is never lost.
     */
    async acceptDelivery(webhook: TriggerWebhookRow, request: DeliveryRequest): Promise<TriggerAccepted> {
      const body = parseDeliveryBody(request.rawBody);
      const signature = checkSignature(request.headers, webhook.secret_key, request.rawBody);
      const refusal =
        signature.valid === false
          ? `Invalid webhook signature (${signature.scheme}): ${signature.reason ?? 'does not verify'}`
          : signature.valid === null && options.requireSignature
            ? 'Webhook signature required: send a GitHub, Stripe or Standard Webhooks signature header'
            : null;
      let outcome: { delivery: DeliveryRow; current: TriggerWebhookRow };
      try {
        outcome = await withTransaction(pool, async (client) => {
          const current = await lockWebhook(client, webhook.id);
          if (!current?.is_active) throw AppError.notFound(WEBHOOK_NOT_FOUND);
          const limit = current.rate_limit_per_minute;
          const recent = await countRecentDeliveries(client, current.id, RATE_WINDOW_SECONDS, limit);
          if (recent.count >= limit) {
            throw new AppError(
              429,
              ErrorCode.RATE_LIMITED,
              `Rate limit exceeded: this webhook accepts ${limit} deliveries per minute`,
              { 'retry-after': String(recent.secondsUntilFree) },
            );
          }
          const status = refusal ? 'failed' : 'queued';
          const delivery = await insertDelivery(client, {
            webhookId: current.id,
            functionId: current.function_id,
            sourceIp: request.sourceIp?.slice(0, 45) ?? null,
            requestHeaders: redactHeaders(request.headers),
            requestBody: body,
            signatureValid: refusal ? false : signature.valid,
            status,
            errorMessage: refusal,
          });
          await recordReceived(client, current.id, status);
          if (!refusal) await enqueueJob(client, jobFor(current, delivery));
          return { delivery, current };
        });
      } catch (err) {
        if (isUnstorableJson(err)) {
          throw AppError.badRequest(
            'The body holds JSON that cannot be stored (a \\u0000 character or a lone surrogate)',
            ErrorCode.INVALID_JSON,
          );
        }
        throw err;
      }
      if (refusal) {
        throw AppError.unauthorized(refusal, ErrorCode.WEBHOOK_SIGNATURE_INVALID);
      }
      return { accepted: true, delivery_id: outcome.delivery.id, function: outcome.current.function_name };
    },

    /**
     * Runs a delivery again with its stored body (admin): a new attempt queued with the webhook's retry settings.
     * 404 for an unknown delivery; 409 while it is still queued or running, or when its signature was invalid.
     */
    async retryDelivery(actor: Actor, deliveryId: string): Promise<WebhookDeliveryDto> {
      if (!isAdmin(actor)) throw ERRORS.adminRequired();
      return withTransaction(pool, async (client) => {
        const delivery = await lockDelivery(client, deliveryId);
        if (!delivery) throw AppError.notFound('Delivery not found');
        if (['queued', 'executing', 'retry_pending'].includes(delivery.status)) {
          throw AppError.conflict(
            `The delivery is ${delivery.status.replace('_', ' ')}; retry it once it has finished`,
          );
        }
        if (delivery.signature_valid === false) {
          throw AppError.conflict('The delivery failed its signature check; it is never run');
        }
        const settings = await findWebhookRetrySettings(client, delivery.webhook_id);
        if (!settings) throw AppError.notFound('Delivery not found');
        const requeued = await requeueDelivery(client, delivery.id);
        await enqueueJob(client, jobFor(settings, requeued));
        return toDeliveryDto(requeued);
      });
    },
  };
}

export type DeliveriesService = ReturnType<typeof createDeliveriesService>;
