-- The SelfDB 0.0.5 system schema (its database/init/01, 02 and 08 scripts), written so it also applies cleanly to
-- a database that already holds that schema (restored from a 0.0.5 archive): every object is created only when
-- absent, and table and column names are upstream's.
CREATE EXTENSION IF NOT EXISTS pgcrypto;

CREATE TABLE IF NOT EXISTS system_config (
  id INTEGER PRIMARY KEY DEFAULT 1 CHECK (id = 1),
  initialized BOOLEAN NOT NULL DEFAULT FALSE,
  installed_at TIMESTAMPTZ DEFAULT NOW(),
  version VARCHAR(50) DEFAULT '1.0.0'
);
INSERT INTO system_config (id, initialized, version) VALUES (1, FALSE, '1.0.0') ON CONFLICT (id) DO NOTHING;

CREATE TABLE IF NOT EXISTS users (
  id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
  email VARCHAR(255) UNIQUE NOT NULL,
  password VARCHAR(255) NOT NULL,
  first_name VARCHAR(100) NOT NULL,
  last_name VARCHAR(100) NOT NULL,
  role VARCHAR(50) NOT NULL DEFAULT 'USER',
  is_active BOOLEAN NOT NULL DEFAULT TRUE,
  created_at TIMESTAMPTZ DEFAULT NOW()
);

CREATE TABLE IF NOT EXISTS tables (
  id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
  name VARCHAR(63) UNIQUE NOT NULL,
  table_schema JSONB NOT NULL,
  public BOOLEAN NOT NULL DEFAULT FALSE,
  owner_id UUID NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  description VARCHAR(500),
  metadata JSONB DEFAULT '{}',
  row_count INTEGER DEFAULT 0,
  realtime_enabled BOOLEAN NOT NULL DEFAULT FALSE,
  created_at TIMESTAMPTZ DEFAULT NOW(),
  updated_at TIMESTAMPTZ DEFAULT NOW()
);

CREATE TABLE IF NOT EXISTS sql_history (
  id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
  query TEXT NOT NULL,
  is_read_only BOOLEAN NOT NULL DEFAULT TRUE,
  execution_time FLOAT NOT NULL DEFAULT 0,
  row_count INTEGER DEFAULT 0,
  error TEXT,
  user_id UUID NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  executed_at TIMESTAMPTZ DEFAULT NOW()
);

CREATE TABLE IF NOT EXISTS sql_snippets (
  id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
  name VARCHAR(100) NOT NULL,
  sql_code TEXT NOT NULL,
  description TEXT,
  is_shared BOOLEAN NOT NULL DEFAULT FALSE,
  created_by UUID NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  created_at TIMESTAMPTZ DEFAULT NOW()
);

CREATE TABLE IF NOT EXISTS buckets (
  id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
  name VARCHAR(63) UNIQUE NOT NULL CHECK (name ~ '^[a-z0-9][a-z0-9\-]{1,61}[a-z0-9]$'),
  public BOOLEAN NOT NULL DEFAULT FALSE,
  owner_id UUID REFERENCES users(id) ON DELETE SET NULL,
  description TEXT,
  metadata JSONB DEFAULT '{}',
  file_count INTEGER DEFAULT 0,
  total_size BIGINT DEFAULT 0,
  created_at TIMESTAMPTZ DEFAULT NOW(),
  updated_at TIMESTAMPTZ DEFAULT NOW()
);

CREATE TABLE IF NOT EXISTS files (
  id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
  bucket_id UUID NOT NULL REFERENCES buckets(id) ON DELETE CASCADE,
  name VARCHAR(500) NOT NULL,
  path VARCHAR(1000) NOT NULL,
  size BIGINT NOT NULL,
  mime_type VARCHAR(100) NOT NULL DEFAULT 'application/octet-stream',
  owner_id UUID REFERENCES users(id) ON DELETE SET NULL,
  metadata JSONB DEFAULT '{}',
  checksum_sha256 VARCHAR(64),
  version INTEGER NOT NULL DEFAULT 1,
  is_latest BOOLEAN NOT NULL DEFAULT TRUE,
  deleted_at TIMESTAMPTZ,
  created_at TIMESTAMPTZ DEFAULT NOW(),
  updated_at TIMESTAMPTZ DEFAULT NOW()
);

CREATE TABLE IF NOT EXISTS refresh_tokens (
  id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id UUID NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  token_hash VARCHAR(64) UNIQUE NOT NULL,
  expires_at TIMESTAMPTZ NOT NULL,
  created_at TIMESTAMPTZ DEFAULT NOW(),
  revoked_at TIMESTAMPTZ
);

CREATE INDEX IF NOT EXISTS idx_tables_owner_id ON tables(owner_id);
CREATE INDEX IF NOT EXISTS idx_tables_public ON tables(public) WHERE public = TRUE;
CREATE INDEX IF NOT EXISTS idx_users_email ON users(email);
CREATE INDEX IF NOT EXISTS idx_users_role ON users(role);
CREATE INDEX IF NOT EXISTS idx_sql_history_user_id ON sql_history(user_id);
CREATE INDEX IF NOT EXISTS idx_sql_history_executed_at ON sql_history(executed_at DESC);
CREATE INDEX IF NOT EXISTS idx_sql_snippets_created_by ON sql_snippets(created_by);
CREATE INDEX IF NOT EXISTS idx_sql_snippets_shared ON sql_snippets(is_shared) WHERE is_shared = TRUE;
CREATE INDEX IF NOT EXISTS idx_buckets_owner_id ON buckets(owner_id);
CREATE INDEX IF NOT EXISTS idx_buckets_public ON buckets(public) WHERE public = TRUE;
CREATE INDEX IF NOT EXISTS idx_buckets_created_at ON buckets(created_at DESC);
CREATE INDEX IF NOT EXISTS idx_files_bucket_id ON files(bucket_id);
CREATE INDEX IF NOT EXISTS idx_files_owner_id ON files(owner_id);
CREATE INDEX IF NOT EXISTS idx_files_path ON files(path);
CREATE INDEX IF NOT EXISTS idx_files_mime_type ON files(mime_type);
CREATE INDEX IF NOT EXISTS idx_files_deleted_at ON files(deleted_at) WHERE deleted_at IS NULL;
CREATE INDEX IF NOT EXISTS idx_files_is_latest ON files(is_latest) WHERE is_latest = TRUE;
CREATE INDEX IF NOT EXISTS idx_files_created_at ON files(created_at DESC);
CREATE INDEX IF NOT EXISTS idx_files_bucket_path ON files(bucket_id, path);
CREATE UNIQUE INDEX IF NOT EXISTS idx_files_unique_path ON files(bucket_id, path)
  WHERE is_latest = TRUE AND deleted_at IS NULL;
CREATE INDEX IF NOT EXISTS idx_refresh_tokens_token_hash ON refresh_tokens(token_hash) WHERE revoked_at IS NULL;
CREATE INDEX IF NOT EXISTS idx_refresh_tokens_user_id ON refresh_tokens(user_id) WHERE revoked_at IS NULL;
CREATE INDEX IF NOT EXISTS idx_refresh_tokens_expires_at ON refresh_tokens(expires_at) WHERE revoked_at IS NULL;
