import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SelfDBError } from '@selfdb/sdk';
import { destructiveSummary, needsConfirmation } from './guard.ts';

test('only a 400 SQL_CONFIRMATION_REQUIRED asks for a confirmation', () => {
  assert.equal(needsConfirmation(new SelfDBError(400, 'x', 'SQL_CONFIRMATION_REQUIRED')), true);
  assert.equal(needsConfirmation(new SelfDBError(400, 'x', 'SQL_PROTECTED_TABLE')), false);
  assert.equal(needsConfirmation(new SelfDBError(400, 'x')), false);
  assert.equal(needsConfirmation(new Error('SQL_CONFIRMATION_REQUIRED')), false);
});

test('the summary keeps what the statements do and drops the instructions for API clients', () => {
  assert.equal(
    destructiveSummary(
      'Destructive statement needs confirmation: DROP TABLE t (statement 2); DELETE without WHERE on u (statement 3). Send "confirm_destructive": true with the query to run it.',
    ),
    'DROP TABLE t (statement 2); DELETE without WHERE on u (statement 3)',
  );
  assert.equal(destructiveSummary('something else'), 'something else');
});
