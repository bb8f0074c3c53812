import { createPool, DB_ROLES, withDatabaseUser } from '@selfdb/common';
import type { Config } from './config.ts';
import { runMigrations } from './db/migrate.ts';
import { createUsersService } from './modules/users/users.service.ts';

interface Log {
  info(message: string): void;
}

/**
 * Brings the database up to date before the app serves: applies pending migrations (direct connection as the
 * superuser, advisory lock; this also sets up SelfDB's roles) and creates the configured admin when no user has that
 * email. The admin is written as selfdb_app (straight to Postgres, like the migrations), as every other user is: a
 * superuser writing to `users` would run any trigger on it with superuser rights.
 */
export async function prepareDatabase(config: Readonly<Config>, log: Log): Promise<void> {
  const applied = await runMigrations(config.directDatabaseUrl, config.migrationsDir, log);
  log.info(applied.length ? `applied ${applied.length} migration(s)` : 'database schema is up to date');
  const pool = createPool(withDatabaseUser(config.directDatabaseUrl, DB_ROLES.app), {
    max: 1,
    applicationName: 'selfdb-seed',
  });
  try {
    if (await createUsersService(pool).ensureAdmin(config.admin))
      log.info(`created admin user ${config.admin.email}`);
  } finally {
    await pool.end();
  }
}
