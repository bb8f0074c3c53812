import assert from 'node:assert/strict';
import { test } from 'node:test';
import { apiKeyDigest, checkApiKey } from './api-key.ts';

const KEY = 'selfdb-test-api-key';
const expected = apiKeyDigest(KEY);
const MISSING = { status: 406, code: 'API_KEY_MISSING', detail: 'Missing required header: X-API-Key' };
const INVALID = { status: 401, code: 'API_KEY_INVALID', detail: 'Invalid API key' };

test('the right key passes, also as the first of repeated values', () => {
  assert.equal(checkApiKey(KEY, expected), null);
  assert.equal(checkApiKey([KEY, 'other'], expected), null);
});

test('no key or an empty one is missing (406)', () => {
  for (const presented of [undefined, null, '']) assert.deepEqual(checkApiKey(presented, expected), MISSING);
});

test('any other key is wrong (401), whatever its length; so is an empty first of repeated values', () => {
  for (const presented of ['wrong', `${KEY}x`, KEY.slice(0, -1), KEY.toUpperCase(), 'x'.repeat(10_000)]) {
    assert.deepEqual(checkApiKey(presented, expected), INVALID, presented.slice(0, 30));
  }
  assert.deepEqual(checkApiKey(['', KEY], expected), INVALID);
  assert.deepEqual(checkApiKey([], expected), INVALID);
});
