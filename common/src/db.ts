import pg from 'pg';
import { jsonDepthExceeds } from './json-depth.ts';

/**
 * json and jsonb values from the database, for every query of every service: parsed, unless nested deeper than
 * MAX_JSON_DEPTH (written by the SQL console or psql; clients cannot send such JSON): that one stays its JSON text,
 * which JSON.stringify (responses, realtime frames) can write without overflowing the stack.
 */
export function parseDatabaseJson(text: string): unknown {
  return jsonDepthExceeds(text) ? text : JSON.parse(text);
}
pg.types.setTypeParser(pg.types.builtins.JSON, parseDatabaseJson);
pg.types.setTypeParser(pg.types.builtins.JSONB, parseDatabaseJson);
// json[] (199) and jsonb[] (3807): Postgres array text, then each element as above.
const parseTextArray = pg.types.getTypeParser(1009 as never) as (value: string) => (string | null)[];
const parseJsonArray = (text: string) =>
  parseTextArray(text).map((item) => (item === null ? null : parseDatabaseJson(item)));
pg.types.setTypeParser(199 as never, parseJsonArray);
pg.types.setTypeParser(3807 as never, parseJsonArray);

export type Pool = pg.Pool;
export type PoolClient = pg.PoolClient;

// Return int8/numeric columns as JS numbers/strings predictably: counts (bigint) fit in a double for our use.
pg.types.setTypeParser(pg.types.builtins.INT8, (value) => Number(value));

export interface PoolOptions {
  max?: number;
  applicationName?: string;
  /** Milliseconds a checkout may wait before failing (so a dead database answers 503 instead of hanging). */
  connectionTimeoutMs?: number;
  /** Checkouts after which a connection is closed instead of going back to the pool (1: a fresh one each time). */
  maxUses?: number;
}

/**
 * Creates a pg pool. Through PgBouncer in transaction mode the pool must not rely on session state: no SET without
 * LOCAL, no prepared statement names, no LISTEN, no session advisory locks.
 */
export function createPool(connectionString: string, options: PoolOptions = {}): Pool {
  const pool = new pg.Pool({
    connectionString,
    max: options.max ?? 10,
    application_name: options.applicationName ?? 'selfdb',
    connectionTimeoutMillis: options.connectionTimeoutMs ?? 5000,
    idleTimeoutMillis: 30_000,
    ...(options.maxUses !== undefined && { maxUses: options.maxUses }),
  });
  // An idle client that loses its connection must not crash the process; the next checkout reconnects.
  pool.on('error', () => {});
  return pool;
}

/** Anything that runs a query: the pool or a checked-out client (inside a transaction). */
export type Queryable = Pick<pg.Pool, 'query'>;

/**
 * Runs `work` in one transaction on one pooled connection: BEGIN, COMMIT, or ROLLBACK when it throws. Works through
 * PgBouncer in transaction mode because every statement of the transaction uses the same client.
 */
export async function withTransaction<T>(pool: Pool, work: (client: PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {});
    throw err;
  } finally {
    client.release();
  }
}
