/**
 * The Postgres roles SelfDB runs as (fixed names; the migration runner creates them and keeps them as described
 * here on every run, backend/src/db/roles.ts). Every login role shares the password of POSTGRES_USER
 * (POSTGRES_PASSWORD), so rotating that one password rotates them all.
 */
export const DB_ROLES = {
  /** NOLOGIN. Owns SelfDB's schemas and every object in them (tables made through the API or the console too). */
  owner: 'selfdb_owner',
  /** Logs in: the backend's request pool, its maintenance jobs, and the realtime service. Member of `owner`. */
  app: 'selfdb_app',
  /** Logs in: the SQL console (`POST /sql/query`), on connections of its own. Member of `owner`. */
  console: 'selfdb_console',
} as const;

/** `url` with its user replaced by `user` (host, port, database, password and options kept). */
export function withDatabaseUser(url: string, user: string): string {
  const parsed = new URL(url);
  parsed.username = encodeURIComponent(user);
  return parsed.toString();
}

/** The password in a postgresql:// URL, decoded; undefined when it has none. */
export function passwordOf(url: string): string | undefined {
  const { password } = new URL(url);
  return password === '' ? undefined : decodeURIComponent(password);
}
