import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AppError } from '@selfdb/common';
import { parseColumnType } from './column-types.ts';
import { defaultSql, parseDefault } from './defaults.ts';

const sql = (raw: unknown, type: string) => {
  const t = parseColumnType(type, 'c');
  const spec = parseDefault(raw, 'c', t);
  return spec ? defaultSql(spec, t) : null;
};
const refused = (raw: unknown, type: string) =>
  assert.throws(
    () => parseDefault(raw, 'c', parseColumnType(type, 'c')),
    (err: unknown) => err instanceof AppError && err.code === 'INVALID_DEFAULT',
    `${String(raw)} for ${type}`,
  );

test('the known functions, in any case, where their type fits', () => {
  assert.equal(sql('now()', 'timestamptz'), 'now()');
  assert.equal(sql('NOW()', 'timestamp'), 'now()');
  assert.equal(sql('CURRENT_TIMESTAMP', 'timestamptz'), 'CURRENT_TIMESTAMP');
  assert.equal(sql('gen_random_uuid()', 'uuid'), 'gen_random_uuid()');
  refused('now()', 'integer');
  refused('gen_random_uuid()', 'boolean');
});

test('literals are checked against the type, quoted and cast', () => {
  assert.equal(sql('open', 'text'), "'open'::text");
  assert.equal(sql("'open'", 'varchar(10)'), "'open'::varchar(10)");
  assert.equal(sql("'it''s'", 'text'), "'it''s'::text");
  assert.equal(sql(0, 'integer'), "'0'::integer");
  assert.equal(sql('42', 'bigint'), "'42'::bigint");
  assert.equal(sql(true, 'boolean'), "'true'::boolean");
  assert.equal(sql('9.99', 'decimal'), "'9.99'::numeric(10,2)");
  assert.equal(sql("'{}'::jsonb", 'jsonb'), "'{}'::jsonb");
  assert.equal(sql({ a: [1] }, 'json'), `'{"a":[1]}'::jsonb`);
  assert.equal(sql('2024-01-01', 'date'), "'2024-01-01'::date");
  assert.equal(sql(null, 'text'), null);
  assert.equal(sql('NULL', 'text'), null);
});

test('injection attempts stay literals or are refused', () => {
  assert.equal(sql("x'); DROP TABLE users; --", 'text'), "'x''); DROP TABLE users; --'::text");
  assert.equal(
    sql("'a' || (SELECT password FROM users LIMIT 1)", 'text'),
    "'''a'' || (SELECT password FROM users LIMIT 1)'::text",
  );
  refused('1; DROP TABLE users', 'integer');
  refused('pg_sleep(10)', 'integer');
  refused('random()', 'double precision');
  refused('abc', 'uuid');
  refused('yes', 'boolean');
  refused('x'.repeat(11), 'varchar(10)');
  refused({ a: 1 }, 'text');
  refused('a\0b', 'text');
});
