import {
  createEnvReader,
  DB_ROLES,
  freeze,
  postgresUrl,
  readJwtSecret,
  readMetricsToken,
  withDatabaseUser,
} from '@selfdb/common';

export interface RealtimeConfig {
  host: string;
  port: number;
  logLevel: string;
  /** METRICS_TOKEN: the Bearer token of `GET /metrics`; null (unset) turns the endpoint off (404). */
  metricsToken: string | null;
  apiKey: string;
  secretKey: string;
  /**
   * Behind a reverse proxy that reaches this service directly (not through the backend): client addresses come
   * from `X-Forwarded-For`, as the backend's TRUST_PROXY (the same variable).
   */
  trustProxy: boolean;
  /** Straight to Postgres as selfdb_app, never through PgBouncer: LISTEN needs a session. */
  directDatabaseUrl: string;
  dbPoolMax: number;
  limits: {
    /** Channels one socket may have joined (or be joining) at once. */
    channelsPerSocket: number;
    /** Bytes a socket may have queued for sending before it is closed as a slow consumer. */
    sendBufferBytes: number;
    /** Largest client frame accepted, in bytes. */
    frameBytes: number;
    /** A socket that sends nothing (not even a heartbeat) for this long is closed. */
    idleTimeoutMs: number;
    /** Sockets one client address (an IPv6 /64) may hold at once, handshakes included; 0: no limit. */
    socketsPerAddress: number;
  };
  /** Outbox rows read per query, live and on replay. */
  batchSize: number;
  /** Under load, live changes are written to each socket at most this often (batched); 0 writes each at once. */
  flushIntervalMs: number;
}

/** Reads and validates the realtime service's configuration once; throws ConfigError naming the bad variable. */
export function loadRealtimeConfig(
  env: Record<string, string | undefined> = process.env,
): Readonly<RealtimeConfig> {
  const read = createEnvReader(env);
  const secretKey = readJwtSecret(read);
  // As the backend's requests, selfdb_app (never the superuser): DIRECT_DATABASE_URL, when set, gives the server,
  // database and password (shared by every SelfDB login role), and its user is replaced.
  const direct = read.raw('DIRECT_DATABASE_URL');
  const directDatabaseUrl = direct
    ? withDatabaseUser(direct, DB_ROLES.app)
    : postgresUrl(
        DB_ROLES.app,
        read.string('POSTGRES_PASSWORD', 'postgres'),
        read.string('POSTGRES_HOST', '127.0.0.1'),
        read.int('DB_PORT', 5432, { min: 1, max: 65535 }),
        read.string('POSTGRES_DB', 'selfdb'),
      );

  return freeze({
    host: read.string('REALTIME_HOST', '127.0.0.1'),
    port: read.int('REALTIME_INTERNAL_PORT', 4000, { min: 0, max: 65535 }),
    logLevel: read.string('LOG_LEVEL', 'info'),
    metricsToken: readMetricsToken(read),
    apiKey: read.string('API_KEY'),
    secretKey,
    trustProxy: read.bool('TRUST_PROXY', false),
    directDatabaseUrl,
    dbPoolMax: read.int('REALTIME_DB_POOL_MAX', 4, { min: 2, max: 100 }),
    limits: {
      channelsPerSocket: read.int('REALTIME_MAX_CHANNELS_PER_SOCKET', 100, { min: 1, max: 10_000 }),
      sendBufferBytes: read.int('REALTIME_SEND_BUFFER_BYTES', 1_048_576, { min: 1024 }),
      frameBytes: read.int('REALTIME_MAX_FRAME_BYTES', 65_536, { min: 1024, max: 16_777_216 }),
      idleTimeoutMs: read.int('REALTIME_IDLE_TIMEOUT_SECONDS', 45, { min: 1, max: 86_400 }) * 1000,
      socketsPerAddress: read.int('REALTIME_MAX_SOCKETS_PER_ADDRESS', 100, { min: 0, max: 1_000_000 }),
    },
    batchSize: read.int('REALTIME_BATCH_SIZE', 500, { min: 1, max: 10_000 }),
    flushIntervalMs: read.int('REALTIME_FLUSH_INTERVAL_MS', 5, { min: 0, max: 1000 }),
  });
}
