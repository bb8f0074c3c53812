import { randomUUID } from 'node:crypto';
import { ERRORS, type Pool, withTransaction } from '@selfdb/common';
import type { FastifyBaseLogger } from 'fastify';
import { deleteReservation, findQuotaUsage, lockUserQuota, upsertReservation } from './quota.repository.ts';

/**
 * How far ahead of its bytes an upload of unknown size reserves quota (one transaction per step): a sixty-fourth of
 * the quota, between 64 KiB and 8 MiB, so that one upload never holds much of a small quota that parallel uploads
 * could have used.
 */
const reserveStep = (quotaBytes: number) =>
  Math.min(Math.max(Math.floor(quotaBytes / 64), 64 * 1024), 8 * 1024 * 1024);
/** Lease of a streamed upload's reservation, renewed while bytes flow: a dead process's reservation expires. */
const STREAM_LEASE_SECONDS = 600;
const RENEW_AFTER_MS = 60_000;

/**
 * The per-user storage quota (STORAGE_USER_QUOTA_MB; 0: none). Usage is the size of the files a user owns plus the
 * reservations of their uploads in progress; every reservation is decided under the user's transaction lock, so
 * concurrent uploads (in any backend process) cannot together pass the quota.
 */
export function createQuotaService(pool: Pool, options: { quotaBytes: number; log: FastifyBaseLogger }) {
  const { quotaBytes, log } = options;
  const step = reserveStep(quotaBytes);

  /**
   * Sets reservation `id` of the user to `bytes` (or more, up to `wanted`, when that fits) for `ttlSeconds`, and
   * returns what it holds now; 413 STORAGE_QUOTA_EXCEEDED when even `bytes` does not fit.
   */
  function reserve(userId: string, id: string, bytes: number, wanted: number, ttlSeconds: number) {
    return withTransaction(pool, async (client) => {
      await lockUserQuota(client, userId);
      const available = quotaBytes - (await findQuotaUsage(client, userId, id));
      if (bytes > available) throw ERRORS.storageQuotaExceeded(quotaBytes);
      const granted = Math.min(Math.max(wanted, bytes), available);
      await upsertReservation(client, { id, userId, bytes: granted, ttlSeconds });
      return granted;
    });
  }

  async function release(id: string): Promise<void> {
    await deleteReservation(pool, id).catch((err: unknown) =>
      // It expires by itself; until then the user's usage is overstated by it.
      log.warn({ err, reservation: id }, 'could not delete an upload reservation'),
    );
  }

  return {
    /** A reservation for one upload streamed in a single request; null when there is no quota. */
    open(userId: string): QuotaReservation | null {
      if (quotaBytes <= 0) return null;
      const id = randomUUID();
      let reserved = 0;
      let renewedAt = 0;
      let closed = false;
      const grow = async (total: number, wanted: number) => {
        const granted = await reserve(userId, id, total, wanted, STREAM_LEASE_SECONDS);
        renewedAt = Date.now();
        if (closed) await release(id);
        else reserved = granted;
      };
      return {
        reserveUpFront(bytes) {
          return grow(bytes, bytes);
        },
        cover(total) {
          if (total <= reserved && Date.now() - renewedAt < RENEW_AFTER_MS) return null;
          // Only renewing the lease (the bytes are covered) keeps the reservation's size; growing adds a step.
          return grow(
            Math.max(total, reserved),
            total <= reserved ? reserved : Math.max(total, reserved + step),
          );
        },
        async release() {
          closed = true;
          await release(id);
        },
      };
    },

    /** Reserves a resumable upload's whole length (`id` is the upload's) for `ttlSeconds`; 413 when it does not fit. */
    async reserveUpload(userId: string, id: string, length: number, ttlSeconds: number): Promise<void> {
      if (quotaBytes > 0) await reserve(userId, id, length, length, ttlSeconds);
    },

    /** Drops reservation `id` (a resumable upload finished or abandoned). */
    async releaseUpload(id: string): Promise<void> {
      if (quotaBytes > 0) await release(id);
    },
  };
}

/** The quota one upload holds while its bytes stream. */
export interface QuotaReservation {
  /** Reserves an announced size before a byte is read; 413 STORAGE_QUOTA_EXCEEDED when it does not fit. */
  reserveUpFront(bytes: number): Promise<void>;
  /**
   * Makes sure `total` bytes are reserved: null when they are (no promise per chunk), else a promise that settles
   * when the reservation has grown (or renewed its lease), or fails with 413 STORAGE_QUOTA_EXCEEDED.
   */
  cover(total: number): Promise<void> | null;
  /** Drops the reservation (call once the file row is written, or the upload failed). */
  release(): Promise<void>;
}

export type QuotaService = ReturnType<typeof createQuotaService>;
