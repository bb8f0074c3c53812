-- SelfDB 0.0.5 made the ids of users, tables, sql_history and sql_snippets in Python, so its schema (and every
-- archive it wrote) has no default on them, and its /tables API made the uuid `id` of a table's rows the same way.
-- SelfDB leaves ids to the database: after a 0.0.5 restore, creating a user, a table, a history entry, a snippet
-- or a row failed with a NOT NULL violation. Every uuid `id` column without a default, of SelfDB's own tables and
-- of the tables registered in `tables`, gets the default a fresh install has. A fresh install has them all
-- already: there this changes nothing.
DO $$
DECLARE
  targets REGCLASS[];
  target REGCLASS;
BEGIN
  -- Collected first: `tables` is one of them, and it cannot be altered while a loop still reads it.
  SELECT coalesce(array_agg(c.oid::REGCLASS), '{}') INTO targets
  FROM pg_catalog.pg_class c
  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
  JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attname = 'id' AND NOT a.attisdropped
  WHERE n.nspname = 'public'
    AND c.relkind IN ('r', 'p')
    AND a.atttypid = 'pg_catalog.uuid'::pg_catalog.regtype
    AND NOT a.atthasdef
    AND a.attidentity = ''
    AND a.attgenerated = ''
    AND (c.relname IN ('users', 'tables', 'sql_history', 'sql_snippets', 'buckets', 'files', 'refresh_tokens')
         OR c.relname IN (SELECT t.name FROM public.tables t));
  FOREACH target IN ARRAY targets LOOP
    EXECUTE format('ALTER TABLE %s ALTER COLUMN id SET DEFAULT pg_catalog.gen_random_uuid()', target);
  END LOOP;
END $$;
