import { randomBytes } from 'node:crypto';
import { type Actor, AppError, ERRORS, hasSqlState, isAdmin, type Pool, SqlState } from '@selfdb/common';
import { toDeliveryDto, toWebhookDto, type WebhookDeliveryDto, type WebhookDto } from './webhooks.dto.ts';
import {
  deleteWebhook,
  findWebhookById,
  insertWebhook,
  listDeliveries,
  listWebhooks,
  updateWebhook,
  updateWebhookToken,
} from './webhooks.repository.ts';

export interface NewWebhook {
  function_id: string;
  name: string;
  secret_key: string;
  description?: string | null;
  provider?: string | null;
  provider_event_type?: string | null;
  rate_limit_per_minute?: number;
  retry_attempts?: number;
  retry_delay_seconds?: number;
}

/** WebhookUpdate: absent or null leaves a field unchanged, except `description: null`, which clears it. */
export interface WebhookPatch {
  name?: string | null;
  description?: string | null;
  secret_key?: string | null;
  is_active?: boolean | null;
  rate_limit_per_minute?: number | null;
  retry_attempts?: number | null;
  retry_delay_seconds?: number | null;
}

function assertAdmin(actor: Actor) {
  if (!isAdmin(actor)) throw ERRORS.adminRequired();
}

/** A new trigger token: 32 random bytes, URL-safe base64 (43 characters), as 0.0.5's `secrets.token_urlsafe(32)`. */
export const newWebhookToken = () => randomBytes(32).toString('base64url');

const isForeignKeyViolation = (err: unknown) => hasSqlState(err, SqlState.FOREIGN_KEY_VIOLATION);

/**
 * The `/webhooks` management operations (admin only, as 0.0.5). `secret_key` is returned in clear only by the
 * response that sets it; every other response masks it.
 */
export function createWebhooksService(pool: Pool) {
  return {
    async list(
      actor: Actor,
      page: { limit: number; offset: number },
    ): Promise<{ webhooks: WebhookDto[]; total: number; limit: number; offset: number }> {
      assertAdmin(actor);
      const { rows, total } = await listWebhooks(pool, page);
      return { webhooks: rows.map((row) => toWebhookDto(row)), total, ...page };
    },

    /** An unknown `function_id` answers 404 "Function not found" (0.0.5 leaked a foreign key error). */
    async create(actor: Actor, input: NewWebhook): Promise<WebhookDto> {
      assertAdmin(actor);
      let row;
      try {
        row = await insertWebhook(pool, {
          functionId: input.function_id,
          ownerId: actor.id,
          name: input.name,
          description: input.description ?? null,
          provider: input.provider ?? null,
          providerEventType: input.provider_event_type ?? null,
          token: newWebhookToken(),
          secretKey: input.secret_key,
          rateLimitPerMinute: input.rate_limit_per_minute ?? 100,
          retryAttempts: input.retry_attempts ?? 3,
          retryDelaySeconds: input.retry_delay_seconds ?? 60,
        });
      } catch (err) {
        if (!isForeignKeyViolation(err)) throw err;
        row = null;
      }
      if (!row) throw AppError.notFound('Function not found');
      return toWebhookDto(row, true);
    },

    async get(actor: Actor, webhookId: string): Promise<WebhookDto> {
      assertAdmin(actor);
      const row = await findWebhookById(pool, webhookId);
      if (!row) throw ERRORS.webhookNotFound();
      return toWebhookDto(row);
    },

    /** The new secret is shown in this response when the PATCH sets one; masked otherwise. */
    async update(actor: Actor, webhookId: string, patch: WebhookPatch): Promise<WebhookDto> {
      assertAdmin(actor);
      const row = await updateWebhook(pool, webhookId, {
        name: patch.name ?? undefined,
        description: patch.description,
        secret_key: patch.secret_key ?? undefined,
        is_active: patch.is_active ?? undefined,
        rate_limit_per_minute: patch.rate_limit_per_minute ?? undefined,
        retry_attempts: patch.retry_attempts ?? undefined,
        retry_delay_seconds: patch.retry_delay_seconds ?? undefined,
      });
      if (!row) throw ERRORS.webhookNotFound();
      return toWebhookDto(row, patch.secret_key != null);
    },

    async remove(actor: Actor, webhookId: string): Promise<void> {
      assertAdmin(actor);
      if (!(await deleteWebhook(pool, webhookId))) throw ERRORS.webhookNotFound();
    },

    /** A new trigger token: the old URL stops working at once. */
    async regenerateToken(actor: Actor, webhookId: string): Promise<WebhookDto> {
      assertAdmin(actor);
      const row = await updateWebhookToken(pool, webhookId, newWebhookToken());
      if (!row) throw ERRORS.webhookNotFound();
      return toWebhookDto(row);
    },

    async listDeliveries(
      actor: Actor,
      webhookId: string,
      page: { limit: number; offset: number },
    ): Promise<{ deliveries: WebhookDeliveryDto[]; total: number; limit: number; offset: number }> {
      assertAdmin(actor);
      if (!(await findWebhookById(pool, webhookId))) throw ERRORS.webhookNotFound();
      const { rows, total } = await listDeliveries(pool, webhookId, page);
      return { deliveries: rows.map(toDeliveryDto), total, ...page };
    },
  };
}

export type WebhooksService = ReturnType<typeof createWebhooksService>;
