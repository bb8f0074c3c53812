import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SelfDBError } from '@selfdb/sdk';
import { describeValidation, errorMessage } from './errors.ts';

test("the UI shows the API's detail; a 422's problems one per field", () => {
  assert.equal(errorMessage(new SelfDBError(409, 'Email already taken', 'CONFLICT')), 'Email already taken');
  assert.equal(
    errorMessage(new SelfDBError(0, 'request failed: fetch failed')),
    'The server did not answer: is SelfDB running?',
  );
  const detail = JSON.stringify([
    { loc: ['body', 'password'], msg: 'String should have at least 8 characters' },
    { loc: ['body', 'email'], msg: 'value is not a valid email address' },
  ]);
  assert.equal(
    errorMessage(new SelfDBError(422, detail, 'VALIDATION_ERROR')),
    'password: String should have at least 8 characters\nemail: value is not a valid email address',
  );
  assert.equal(describeValidation('plain text'), null);
  assert.equal(errorMessage(new Error('boom')), 'boom');
});
