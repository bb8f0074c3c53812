import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AppError } from '@selfdb/common';
import { kindOfCatalogType, parseColumnType } from './column-types.ts';

test('every SelfDB 0.0.5 spelling maps as upstream, in any letter case', () => {
  const cases: Record<string, string> = {
    TEXT: 'text',
    STRING: 'varchar(255)',
    VARCHAR: 'varchar(255)',
    INTEGER: 'integer',
    INT: 'integer',
    BIGINT: 'bigint',
    DECIMAL: 'numeric(10,2)',
    FLOAT: 'double precision',
    BOOLEAN: 'boolean',
    BOOL: 'boolean',
    DATE: 'date',
    TIMESTAMP: 'timestamptz',
    DATETIME: 'timestamptz',
    JSON: 'jsonb',
    JSONB: 'jsonb',
    UUID: 'uuid',
  };
  for (const [spelling, sql] of Object.entries(cases)) {
    assert.equal(parseColumnType(spelling, 'c').sql, sql, spelling);
    assert.equal(parseColumnType(spelling.toLowerCase(), 'c').sql, sql, spelling.toLowerCase());
    assert.equal(parseColumnType(`  ${spelling[0]}${spelling.slice(1).toLowerCase()} `, 'c').sql, sql);
  }
});

test('parameters, multi-word names and arrays', () => {
  assert.deepEqual(parseColumnType('varchar(20)', 'c'), {
    sql: 'varchar(20)',
    kind: 'text',
    maxLength: 20,
    array: false,
  });
  assert.equal(parseColumnType('VARCHAR ( 20 )', 'c').sql, 'varchar(20)');
  assert.equal(parseColumnType('numeric(12, 4)', 'c').sql, 'numeric(12,4)');
  assert.equal(parseColumnType('decimal(5)', 'c').sql, 'numeric(5,0)');
  assert.equal(parseColumnType('double   precision', 'c').sql, 'double precision');
  assert.equal(parseColumnType('timestamp with time zone', 'c').sql, 'timestamptz');
  assert.deepEqual(parseColumnType('text[]', 'c'), { sql: 'text[]', kind: 'text', array: true });
  assert.equal(parseColumnType('INT []', 'c').sql, 'integer[]');
  assert.equal(parseColumnType('numeric(10,2)[]', 'c').sql, 'numeric(10,2)[]');
  assert.equal(parseColumnType('timestamptz[]', 'c').kind, 'timestamp');
});

test('anything else is refused with 400 INVALID_COLUMN_TYPE naming the column', () => {
  const refused = [
    'serial',
    'text; DROP TABLE users',
    'text DEFAULT 1',
    'integer) ; --',
    'varchar(0)',
    'varchar(99999999)',
    'numeric(5,6)',
    'numeric(0)',
    'text[][]',
    'money',
    'pg_catalog.text',
    '"text"',
    '',
    'x'.repeat(200),
    42,
    null,
  ];
  for (const input of refused) {
    assert.throws(
      () => parseColumnType(input, 'price'),
      (err: unknown) =>
        err instanceof AppError && err.code === 'INVALID_COLUMN_TYPE' && err.message.includes("'price'"),
      String(input),
    );
  }
});

test('catalog types map to value kinds', () => {
  assert.equal(kindOfCatalogType('varchar'), 'text');
  assert.equal(kindOfCatalogType('int4'), 'integer');
  assert.equal(kindOfCatalogType('int8'), 'bigint');
  assert.equal(kindOfCatalogType('numeric'), 'number');
  assert.equal(kindOfCatalogType('timestamptz'), 'timestamp');
  assert.equal(kindOfCatalogType('inet'), 'other');
});
