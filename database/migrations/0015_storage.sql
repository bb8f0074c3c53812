-- Storage (buckets and files) beyond SelfDB 0.0.5: per-bucket upload limits, bucket statistics that stay true,
-- and updated_at maintained by the database. Written to adopt a database restored from a 0.0.5 archive.

-- NULL means no limit of that kind. Sizes are bytes; MIME types are `type/subtype` or `type/*`.
ALTER TABLE buckets ADD COLUMN IF NOT EXISTS file_size_limit BIGINT;
ALTER TABLE buckets ADD COLUMN IF NOT EXISTS allowed_mime_types TEXT[];
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conname = 'buckets_file_size_limit_check') THEN
    ALTER TABLE buckets ADD CONSTRAINT buckets_file_size_limit_check
      CHECK (file_size_limit IS NULL OR file_size_limit >= 0);
  END IF;
END $$;

-- file_count and total_size are upstream's columns. 0.0.5 maintained them with separate statements that could
-- drift from the files table; here one trigger changes them in the same transaction as the file row, so they
-- always equal what the files table holds (latest, not deleted).
CREATE OR REPLACE FUNCTION selfdb_bucket_stats() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.is_latest AND OLD.deleted_at IS NULL THEN
    UPDATE buckets
    SET file_count = COALESCE(file_count, 0) - 1, total_size = COALESCE(total_size, 0) - OLD.size
    WHERE id = OLD.bucket_id;
  END IF;
  IF TG_OP IN ('INSERT', 'UPDATE') AND NEW.is_latest AND NEW.deleted_at IS NULL THEN
    UPDATE buckets
    SET file_count = COALESCE(file_count, 0) + 1, total_size = COALESCE(total_size, 0) + NEW.size
    WHERE id = NEW.bucket_id;
  END IF;
  RETURN NULL;
END $$;

DROP TRIGGER IF EXISTS files_bucket_stats ON files;
CREATE TRIGGER files_bucket_stats
  AFTER INSERT OR DELETE OR UPDATE OF bucket_id, size, is_latest, deleted_at ON files
  FOR EACH ROW EXECUTE FUNCTION selfdb_bucket_stats();

-- Recount from the files themselves (a restored archive may carry drifted counters).
UPDATE buckets b
SET file_count = COALESCE(s.file_count, 0), total_size = COALESCE(s.total_size, 0)
FROM buckets b2
LEFT JOIN (
  SELECT bucket_id, count(*)::int AS file_count, sum(size)::bigint AS total_size
  FROM files
  WHERE is_latest AND deleted_at IS NULL
  GROUP BY bucket_id
) s ON s.bucket_id = b2.id
WHERE b.id = b2.id;

-- updated_at follows real changes only: a bucket's statistics moving is not an edit of the bucket.
DROP TRIGGER IF EXISTS buckets_touch_updated_at ON buckets;
CREATE TRIGGER buckets_touch_updated_at
  BEFORE UPDATE OF name, public, description, metadata, owner_id, file_size_limit, allowed_mime_types ON buckets
  FOR EACH ROW EXECUTE FUNCTION selfdb_touch_updated_at();
DROP TRIGGER IF EXISTS files_touch_updated_at ON files;
CREATE TRIGGER files_touch_updated_at
  BEFORE UPDATE ON files
  FOR EACH ROW EXECUTE FUNCTION selfdb_touch_updated_at();

-- File lists page by bucket in creation order.
CREATE INDEX IF NOT EXISTS idx_files_bucket_created_at ON files (bucket_id, created_at DESC);
