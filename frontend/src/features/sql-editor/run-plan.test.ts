import assert from 'node:assert/strict';
import { test } from 'node:test';
import { planRuns } from './run-plan.ts';

test('each statement is its own run, titled by its place', () => {
  assert.deepEqual(
    planRuns('select 1;\nselect 2; -- end', false).map((r) => [r.title, r.sql, r.state]),
    [
      ['Statement 1', 'select 1', 'waiting'],
      ['Statement 2', 'select 2', 'waiting'],
    ],
  );
  assert.deepEqual(
    planRuns('select 1 as one', false).map((r) => [r.title, r.sql]),
    [['Result', 'select 1 as one']],
  );
});

test('one transaction sends the script whole, as typed', () => {
  const script = '  insert into t values (1);\n delete from t; -- all of it\n';
  assert.deepEqual(
    planRuns(script, true).map((r) => [r.title, r.sql]),
    [['Script (2 statements, one transaction)', script.trim()]],
  );
  assert.deepEqual(
    planRuns('select 1; -- note', true).map((r) => [r.title, r.sql]),
    [['Result', 'select 1; -- note']],
  );
});

test('nothing to run in whitespace and comments', () => {
  assert.deepEqual(planRuns(' -- nothing\n/* here */ ', false), []);
  assert.deepEqual(planRuns('', true), []);
});
