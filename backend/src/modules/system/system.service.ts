import type { Pool } from '@selfdb/common';
import { findSystemInitialized, pingDatabase } from './system.repository.ts';

export function createSystemService(pool: Pool, version: string) {
  return {
    /** True when the database answers through the pool. */
    async isDatabaseHealthy(): Promise<boolean> {
      try {
        await pingDatabase(pool);
        return true;
      } catch {
        return false;
      }
    },
    async status(): Promise<{ initialized: boolean; version: string }> {
      return { initialized: await findSystemInitialized(pool), version };
    },
  };
}

export type SystemService = ReturnType<typeof createSystemService>;
