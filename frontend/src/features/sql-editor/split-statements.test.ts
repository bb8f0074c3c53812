import assert from 'node:assert/strict';
import { test } from 'node:test';
import { hasStatement, splitStatements } from './split-statements.ts';

test('a script splits at semicolons; empty pieces and a trailing comment are left out', () => {
  assert.deepEqual(splitStatements('select 1;\n select 2 ;;\n\nselect 3'), [
    'select 1',
    'select 2',
    'select 3',
  ]);
  assert.deepEqual(splitStatements('select 1; -- done\n'), ['select 1']);
  assert.deepEqual(splitStatements('  '), []);
  assert.deepEqual(splitStatements('-- only a comment\n/* and another */'), []);
  assert.equal(hasStatement('/* x */ ;'), false);
  assert.equal(hasStatement('select 1'), true);
});

test('semicolons in strings, quoted names, comments and dollar quotes do not split', () => {
  assert.deepEqual(splitStatements(`select 'a;b', "c;d" from t; select 'it''s;'`), [
    `select 'a;b', "c;d" from t`,
    `select 'it''s;'`,
  ]);
  assert.deepEqual(splitStatements(`select E'\\';' ; select 2`), [`select E'\\';'`, 'select 2']);
  assert.deepEqual(splitStatements('select 1 -- a; b\n; select /* c; /* nested; */ d; */ 2'), [
    'select 1 -- a; b',
    'select /* c; /* nested; */ d; */ 2',
  ]);
  const fn = `create function f() returns int language plpgsql as $body$ begin return 1; end; $body$`;
  assert.deepEqual(splitStatements(`${fn}; do $$ begin perform 1; end $$; select f()`), [
    fn,
    'do $$ begin perform 1; end $$',
    'select f()',
  ]);
  // $1 is a parameter, not a dollar quote.
  assert.deepEqual(splitStatements('prepare p as select $1; select 2'), [
    'prepare p as select $1',
    'select 2',
  ]);
});

test('BEGIN ATOMIC bodies and parentheses keep their semicolons', () => {
  const atomic =
    'create function g(a int) returns int language sql begin atomic select case when a > 0 then 1 else 2 end; select 3; end';
  assert.deepEqual(splitStatements(`${atomic}; select g(1)`), [atomic, 'select g(1)']);
  assert.deepEqual(
    splitStatements('create rule r as on insert to t do also (insert into u values (1); notify x); select 1'),
    ['create rule r as on insert to t do also (insert into u values (1); notify x)', 'select 1'],
  );
});

test('an unterminated quote keeps the rest of the script in one statement', () => {
  assert.deepEqual(splitStatements(`select 'oops; select 2`), [`select 'oops; select 2`]);
  assert.deepEqual(splitStatements('select $$ open; select 2'), ['select $$ open; select 2']);
});
