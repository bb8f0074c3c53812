// The one catalogue of SelfDB's own tables (database/migrations): which names in `public` are SelfDB's and not a
// user's, which of them the SQL console may only read, which the schema views hide. Code that needs such a list
// derives it from here.

/** SelfDB's own tables in `public`, by what they hold. */
export const SELFDB_TABLES = {
  users: 'users',
  refreshTokens: 'refresh_tokens',
  tables: 'tables',
  buckets: 'buckets',
  files: 'files',
  systemConfig: 'system_config',
  sqlHistory: 'sql_history',
  sqlSnippets: 'sql_snippets',
  migrations: 'selfdb_migrations',
  schemaChanges: 'selfdb_schema_changes',
  backupScheduleRuns: 'backup_schedule_runs',
  functions: 'functions',
  functionVersions: 'function_versions',
  functionExecutions: 'function_executions',
  functionLogs: 'function_logs',
  webhooks: 'webhooks',
  webhookDeliveries: 'webhook_deliveries',
} as const;

/** Every table SelfDB keeps in `public`: never a user table (not registered, not a name a new table may take). */
export const SELFDB_PUBLIC_TABLES: ReadonlySet<string> = new Set(Object.values(SELFDB_TABLES));

/** SelfDB's bookkeeping tables: the console's history and snippets, migrations and the schema change log. */
export const BOOKKEEPING_TABLES: ReadonlySet<string> = new Set([
  SELFDB_TABLES.sqlHistory,
  SELFDB_TABLES.sqlSnippets,
  SELFDB_TABLES.migrations,
  SELFDB_TABLES.schemaChanges,
]);

/** Tables of `public` the SQL console may read but never write or alter: the bookkeeping and the system config. */
export const CONSOLE_READ_ONLY_TABLES: ReadonlySet<string> = new Set([
  SELFDB_TABLES.systemConfig,
  ...BOOKKEEPING_TABLES,
]);

/** SelfDB's tables the realtime service captures on every instance; only admins may join their topics. */
export const CAPTURED_SELFDB_TABLES: ReadonlySet<string> = new Set([
  SELFDB_TABLES.users,
  SELFDB_TABLES.tables,
  SELFDB_TABLES.buckets,
  SELFDB_TABLES.files,
]);

/** Schemas that are SelfDB's alone (the realtime outbox, the job queue and counters). */
export const SELFDB_SCHEMAS = ['realtime', 'selfdb'] as const;
