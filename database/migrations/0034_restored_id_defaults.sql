-- SelfDB 0.0.5 made the ids of users, tables, sql_history and sql_snippets in Python, so its schema (and every
-- archive it wrote) has no default on them, and its /tables API made the uuid `id` of a table's rows the same way,
-- on tables it created without a primary key. SelfDB leaves ids to the database and finds rows by a unique key:
-- after a 0.0.5 restore, creating a user, a table, a history entry, a snippet or a row failed with a NOT NULL
-- violation, and a row of a restored table could not be updated or deleted. So:
--   * every uuid `id` column without a default, of SelfDB's own tables and of the tables registered in `tables`,
--     gets the default a fresh install has;
--   * a registered table without a primary key whose `id` column holds no null and no duplicate gets it as its
--     primary key, as a table created by SelfDB has (other tables are left as they are).
-- A fresh install has all of this already: there it changes nothing.
DO $$
DECLARE
  targets REGCLASS[];
  target REGCLASS;
  usable BOOLEAN;
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

  SELECT coalesce(array_agg(c.oid::REGCLASS), '{}') INTO targets
  FROM pg_catalog.pg_class c
  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
  JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attname = 'id' AND NOT a.attisdropped
  WHERE n.nspname = 'public'
    AND c.relkind = 'r'
    AND c.relname IN (SELECT t.name FROM public.tables t)
    AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_constraint k WHERE k.conrelid = c.oid AND k.contype = 'p');
  FOREACH target IN ARRAY targets LOOP
    EXECUTE format('SELECT NOT EXISTS (SELECT 1 FROM %1$s WHERE id IS NULL)
                       AND NOT EXISTS (SELECT 1 FROM %1$s GROUP BY id HAVING count(*) > 1)', target)
      INTO usable;
    IF usable THEN
      EXECUTE format('ALTER TABLE %s ADD PRIMARY KEY (id)', target);
    END IF;
  END LOOP;
END $$;
