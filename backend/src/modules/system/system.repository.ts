import type { Queryable } from '@selfdb/common';

export async function pingDatabase(db: Queryable): Promise<void> {
  await db.query('SELECT 1');
}

export async function findSystemInitialized(db: Queryable): Promise<boolean> {
  const { rows } = await db.query<{ initialized: boolean }>(
    'SELECT initialized FROM system_config WHERE id = 1',
  );
  return rows[0]?.initialized ?? false;
}

/** Records that the system is in use (first successful login), as SelfDB 0.0.5 does. */
export async function markSystemInitialized(db: Queryable): Promise<void> {
  await db.query('UPDATE system_config SET initialized = TRUE WHERE id = 1 AND initialized = FALSE');
}
