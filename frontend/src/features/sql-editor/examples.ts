// Queries to start from, in the SQL Editor's Examples tab. 0.0.5 had RLS templates there built on auth.uid() and
// auth.role(), whose claims no request ever set (docs/dashboard.md): they are left out.

export interface SqlExample {
  title: string;
  sql: string;
}

export const SQL_EXAMPLES: readonly SqlExample[] = [
  {
    title: 'Tables and their sizes',
    sql: `select c.relname as table_name,
       c.reltuples::bigint as estimated_rows,
       pg_size_pretty(pg_total_relation_size(c.oid)) as total_size
from pg_class c
join pg_namespace n on n.oid = c.relnamespace
where n.nspname = 'public' and c.relkind in ('r', 'p')
order by pg_total_relation_size(c.oid) desc`,
  },
  {
    title: 'Columns of a table',
    sql: `select column_name, data_type, is_nullable, column_default
from information_schema.columns
where table_schema = 'public' and table_name = 'my_table'
order by ordinal_position`,
  },
  {
    title: 'Indexes',
    sql: `select tablename, indexname, indexdef
from pg_indexes
where schemaname = 'public'
order by tablename, indexname`,
  },
  {
    title: 'Foreign keys',
    sql: `select conrelid::regclass as table_name, conname as constraint_name, pg_get_constraintdef(oid) as definition
from pg_constraint
where contype = 'f' and connamespace = 'public'::regnamespace
order by 1, 2`,
  },
  {
    title: 'Create a table',
    sql: `create table notes (
  id uuid primary key default gen_random_uuid(),
  title text not null,
  body text,
  created_at timestamptz not null default now()
)`,
  },
  {
    title: 'Add an index',
    sql: `create index notes_created_at_idx on notes (created_at)`,
  },
  {
    title: 'Running queries',
    sql: `select pid, usename, application_name, state, now() - query_start as running_for, left(query, 200) as query
from pg_stat_activity
where datname = current_database() and state <> 'idle'
order by query_start`,
  },
];
