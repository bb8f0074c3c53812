-- Functions and webhooks (issue 12). The five tables of SelfDB 0.0.5 (`07_functions_webhooks.sql`) with its column
-- names, types and checks, so an archive of 0.0.5 restores into them; written to adopt those tables when a restored
-- archive created them first. Beyond 0.0.5: code versions, the parsed triggers, a durable job queue, the cursor of
-- database triggers over the realtime outbox, and single-flight claims for schedules and `once` runs.

CREATE TABLE IF NOT EXISTS functions (
  id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
  name VARCHAR(255) NOT NULL,
  description TEXT,
  code TEXT NOT NULL,
  owner_id UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  is_active BOOLEAN NOT NULL DEFAULT TRUE,
  deployment_status VARCHAR(20) NOT NULL DEFAULT 'pending',
  deployment_error TEXT,
  version INTEGER NOT NULL DEFAULT 1,
  timeout_seconds INTEGER NOT NULL DEFAULT 30,
  env_vars JSONB DEFAULT '{}',
  execution_count INTEGER NOT NULL DEFAULT 0,
  execution_success_count INTEGER NOT NULL DEFAULT 0,
  execution_error_count INTEGER NOT NULL DEFAULT 0,
  last_executed_at TIMESTAMPTZ,
  avg_execution_time_ms INTEGER,
  last_deployed_at TIMESTAMPTZ,
  created_at TIMESTAMPTZ DEFAULT NOW(),
  updated_at TIMESTAMPTZ DEFAULT NOW()
);
-- The triggers the deployed version declares (`export const triggers`), read by the runtime at deploy time, and the
-- version that is deployed (the row's `version` may be ahead of it after an edit).
ALTER TABLE functions ADD COLUMN IF NOT EXISTS triggers JSONB NOT NULL DEFAULT '[]';
ALTER TABLE functions ADD COLUMN IF NOT EXISTS deployed_version INTEGER;
CREATE UNIQUE INDEX IF NOT EXISTS functions_name_key ON functions (name);

CREATE TABLE IF NOT EXISTS function_versions (
  function_id UUID NOT NULL REFERENCES functions (id) ON DELETE CASCADE,
  version INTEGER NOT NULL,
  code TEXT NOT NULL,
  created_by UUID REFERENCES users (id) ON DELETE SET NULL,
  created_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
  PRIMARY KEY (function_id, version)
);
INSERT INTO function_versions (function_id, version, code, created_by)
SELECT id, version, code, owner_id FROM functions
ON CONFLICT DO NOTHING;

CREATE TABLE IF NOT EXISTS webhooks (
  id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
  function_id UUID NOT NULL REFERENCES functions (id) ON DELETE CASCADE,
  owner_id UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  name VARCHAR(255) NOT NULL,
  description TEXT,
  provider VARCHAR(50),
  provider_event_type VARCHAR(255),
  webhook_token VARCHAR(255) NOT NULL,
  secret_key VARCHAR(255) NOT NULL,
  is_active BOOLEAN NOT NULL DEFAULT TRUE,
  rate_limit_per_minute INTEGER NOT NULL DEFAULT 100,
  retry_enabled BOOLEAN NOT NULL DEFAULT TRUE,
  retry_attempts INTEGER NOT NULL DEFAULT 3,
  retry_delay_seconds INTEGER NOT NULL DEFAULT 60,
  last_received_at TIMESTAMPTZ,
  last_delivery_status VARCHAR(20),
  successful_delivery_count INTEGER DEFAULT 0,
  failed_delivery_count INTEGER DEFAULT 0,
  total_delivery_count INTEGER DEFAULT 0,
  created_at TIMESTAMPTZ DEFAULT NOW(),
  updated_at TIMESTAMPTZ DEFAULT NOW()
);
CREATE UNIQUE INDEX IF NOT EXISTS webhooks_webhook_token_key ON webhooks (webhook_token);
CREATE INDEX IF NOT EXISTS webhooks_function_id_idx ON webhooks (function_id);

CREATE TABLE IF NOT EXISTS function_executions (
  id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
  function_id UUID NOT NULL REFERENCES functions (id) ON DELETE CASCADE,
  user_id UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  trigger_type VARCHAR(20) NOT NULL,
  webhook_delivery_id UUID,
  status VARCHAR(20) NOT NULL DEFAULT 'running',
  started_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
  completed_at TIMESTAMPTZ,
  duration_ms INTEGER,
  result JSONB,
  error_message TEXT,
  created_at TIMESTAMPTZ DEFAULT NOW(),
  updated_at TIMESTAMPTZ DEFAULT NOW()
);
-- 0.0.5 also allows 'once' nowhere; a `once` run is recorded with trigger_type 'manual'.
CREATE INDEX IF NOT EXISTS function_executions_function_idx ON function_executions (function_id, created_at DESC);

CREATE TABLE IF NOT EXISTS function_logs (
  id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
  execution_id UUID NOT NULL REFERENCES function_executions (id) ON DELETE CASCADE,
  function_id UUID NOT NULL REFERENCES functions (id) ON DELETE CASCADE,
  log_level VARCHAR(20) NOT NULL,
  message TEXT NOT NULL,
  "timestamp" TIMESTAMPTZ NOT NULL DEFAULT NOW()
);
CREATE INDEX IF NOT EXISTS function_logs_function_idx ON function_logs (function_id, "timestamp" DESC);
CREATE INDEX IF NOT EXISTS function_logs_execution_idx ON function_logs (execution_id);

CREATE TABLE IF NOT EXISTS webhook_deliveries (
  id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
  webhook_id UUID NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
  function_id UUID NOT NULL REFERENCES functions (id) ON DELETE CASCADE,
  source_ip VARCHAR(45),
  request_headers JSONB,
  request_body JSONB,
  signature_valid BOOLEAN,
  status VARCHAR(20) NOT NULL DEFAULT 'received',
  delivery_attempt INTEGER NOT NULL DEFAULT 1,
  processing_started_at TIMESTAMPTZ,
  function_execution_id UUID REFERENCES function_executions (id) ON DELETE SET NULL,
  execution_result JSONB,
  error_message TEXT,
  execution_time_ms INTEGER,
  response_status_code INTEGER,
  retry_count INTEGER NOT NULL DEFAULT 0,
  next_retry_at TIMESTAMPTZ,
  created_at TIMESTAMPTZ DEFAULT NOW(),
  received_at TIMESTAMPTZ DEFAULT NOW(),
  processing_completed_at TIMESTAMPTZ,
  updated_at TIMESTAMPTZ DEFAULT NOW()
);
CREATE INDEX IF NOT EXISTS webhook_deliveries_webhook_idx ON webhook_deliveries (webhook_id, created_at DESC);

-- 0.0.5's checks, added when a table of an older archive lacks them.
DO $$
DECLARE
  c RECORD;
BEGIN
  FOR c IN
    SELECT * FROM (VALUES
      ('functions', 'functions_deployment_status_valid',
       'CHECK (deployment_status IN (''pending'', ''deployed'', ''failed'', ''undeployed''))'),
      ('functions', 'functions_timeout_range', 'CHECK (timeout_seconds BETWEEN 5 AND 300)'),
      ('webhooks', 'webhooks_rate_limit_range', 'CHECK (rate_limit_per_minute BETWEEN 1 AND 10000)'),
      ('webhooks', 'webhooks_retry_attempts_range', 'CHECK (retry_attempts BETWEEN 1 AND 10)'),
      ('webhooks', 'webhooks_retry_delay_range', 'CHECK (retry_delay_seconds BETWEEN 1 AND 3600)'),
      ('function_executions', 'function_executions_status_valid',
       'CHECK (status IN (''running'', ''completed'', ''failed'', ''timeout''))'),
      ('function_executions', 'function_executions_trigger_type_valid',
       'CHECK (trigger_type IN (''http'', ''schedule'', ''database'', ''event'', ''webhook'', ''manual''))'),
      ('function_logs', 'function_logs_level_valid', 'CHECK (log_level IN (''debug'', ''info'', ''warn'', ''error''))'),
      ('webhook_deliveries', 'webhook_deliveries_status_valid',
       'CHECK (status IN (''received'', ''queued'', ''executing'', ''completed'', ''failed'', ''retry_pending''))')
    ) AS t (table_name, constraint_name, definition)
  LOOP
    IF NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conname = c.constraint_name) THEN
      EXECUTE format('ALTER TABLE %I ADD CONSTRAINT %I %s', c.table_name, c.constraint_name, c.definition);
    END IF;
  END LOOP;
END $$;

-- The durable queue every non-HTTP run goes through (webhook deliveries, events, database changes, `once`): claimed
-- with FOR UPDATE SKIP LOCKED by any backend process, so a run survives a restart of the backend or the runtime.
CREATE TABLE IF NOT EXISTS selfdb.function_jobs (
  id BIGSERIAL PRIMARY KEY,
  function_id UUID NOT NULL REFERENCES functions (id) ON DELETE CASCADE,
  trigger_type VARCHAR(20) NOT NULL,
  payload JSONB NOT NULL DEFAULT '{}',
  webhook_delivery_id UUID REFERENCES webhook_deliveries (id) ON DELETE CASCADE,
  -- Attempts made so far, and how many are allowed (retries = max_attempts - 1).
  attempts INTEGER NOT NULL DEFAULT 0,
  max_attempts INTEGER NOT NULL DEFAULT 1,
  retry_delay_seconds INTEGER NOT NULL DEFAULT 60,
  run_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
  -- Set while a process runs the job; a job whose lease ran out was cut short (crash) and is failed or retried.
  locked_by TEXT,
  locked_until TIMESTAMPTZ,
  created_at TIMESTAMPTZ NOT NULL DEFAULT NOW()
);
CREATE INDEX IF NOT EXISTS function_jobs_run_at_idx ON selfdb.function_jobs (run_at);

-- How far database triggers have read the realtime outbox (realtime.changes.seq): advanced in the same transaction
-- that enqueues the jobs for the changes read, so each change is dispatched exactly once across restarts.
CREATE TABLE IF NOT EXISTS selfdb.function_trigger_cursor (
  id BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (id),
  last_seq BIGINT NOT NULL
);

-- One row per (function, trigger, tick): the primary key makes exactly one process run a scheduled tick, and a
-- `once` trigger once per deployed version (scheduled_for = the deploy time of that version).
CREATE TABLE IF NOT EXISTS selfdb.function_trigger_runs (
  function_id UUID NOT NULL REFERENCES functions (id) ON DELETE CASCADE,
  trigger_key TEXT NOT NULL,
  scheduled_for TIMESTAMPTZ NOT NULL,
  claimed_by TEXT NOT NULL,
  claimed_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
  PRIMARY KEY (function_id, trigger_key, scheduled_for)
);
