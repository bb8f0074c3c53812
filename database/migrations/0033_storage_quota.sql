-- Per-user storage quota (STORAGE_USER_QUOTA_MB). A user's usage is the size of the files they own plus the bytes
-- their uploads in progress have reserved. An upload reserves its bytes before they reach the storage service (all
-- of them when the size is announced, in steps while it streams otherwise), under a per-user transaction lock, so
-- parallel uploads, in one backend process or several, can never together pass the quota.
--
-- A reservation lives until its upload ends; one whose process died expires by itself (expires_at), and is
-- ignored from then on.
CREATE TABLE IF NOT EXISTS selfdb.upload_reservations (
  -- A raw or multipart upload: a random UUID; a tus upload: its upload id.
  id TEXT PRIMARY KEY,
  user_id UUID NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  bytes BIGINT NOT NULL CHECK (bytes >= 0),
  expires_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX IF NOT EXISTS upload_reservations_user_idx ON selfdb.upload_reservations (user_id, expires_at);
