import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AppError, preview } from '@selfdb/common';
import {
  assertColumnName,
  assertTableName,
  quoteIdent,
  quoteLiteral,
  quoteTable,
  tableNameProblem,
} from './identifiers.ts';

const code = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof AppError, String(err));
    return `${err.statusCode} ${err.code}`;
  }
  return 'ok';
};

test('quoteIdent doubles embedded quotes, so no name can leave its quotes', () => {
  assert.equal(quoteIdent('pets'), '"pets"');
  assert.equal(quoteIdent('Mixed Case'), '"Mixed Case"');
  assert.equal(quoteIdent('a"b'), '"a""b"');
  assert.equal(quoteIdent('x"; DROP TABLE users; --'), '"x""; DROP TABLE users; --"');
  assert.equal(quoteIdent('""'), '""""""');
  assert.equal(
    code(() => quoteIdent('a\0b')),
    '400 INVALID_IDENTIFIER',
  );
  assert.equal(quoteTable('pets'), '"public"."pets"');
});

test('quoteLiteral quotes like quote_literal(), whatever standard_conforming_strings says', () => {
  assert.equal(quoteLiteral('open'), "'open'");
  assert.equal(quoteLiteral("it's"), "'it''s'");
  assert.equal(quoteLiteral("'); DROP TABLE users; --"), "'''); DROP TABLE users; --'");
  assert.equal(quoteLiteral('a\\b'), "E'a\\\\b'");
  assert.equal(quoteLiteral("\\'"), "E'\\\\'''");
  assert.equal(
    code(() => quoteLiteral('a\0')),
    '400 INVALID_DEFAULT',
  );
});

test('table names: upstream pattern, at most 63 characters, no reserved words', () => {
  for (const ok of ['pets', 'a', 'order_items', 'x1_2', 'a'.repeat(63)])
    assert.equal(tableNameProblem(ok), null, ok);
  for (const bad of ['', 'Pets', '1pets', '_pets', 'pe-ts', 'pets;drop', 'a'.repeat(64), 'pets"', 'café'])
    assert.equal(
      code(() => assertTableName(bad)),
      '400 INVALID_IDENTIFIER',
      bad,
    );
  for (const reserved of [
    'users',
    'user',
    'table',
    'select',
    'order',
    'tables',
    'buckets',
    'files',
    'pg_stuff',
    'selfdb_migrations_copy',
  ])
    assert.equal(
      code(() => assertTableName(reserved)),
      '400 RESERVED_NAME',
      reserved,
    );
});

test('column names: letters, digits, underscores, at most 63, not a system column', () => {
  for (const ok of ['title', 'userId', '_private', 'order', 'a'.repeat(63)])
    assert.equal(assertColumnName(ok), ok);
  for (const bad of ['', '1a', 'a b', 'a"b', 'a;b', 'a'.repeat(64), 'x) ; DROP TABLE t; --'])
    assert.equal(
      code(() => assertColumnName(bad)),
      '400 INVALID_IDENTIFIER',
      bad,
    );
  for (const system of ['ctid', 'xmin', 'OID', '__selfdb_total'])
    assert.equal(
      code(() => assertColumnName(system)),
      '400 RESERVED_NAME',
      system,
    );
});

test('preview shortens and neutralizes control characters for messages', () => {
  assert.equal(preview('a\nb'), 'a?b');
  assert.equal(preview('x'.repeat(100)).length, 61);
  assert.equal(preview({ a: 1 }), '{"a":1}');
});
