import assert from 'node:assert/strict';
import { test } from 'node:test';
import { contentRange, noneMatch, parseRange, rangeStillValid } from './http-conditions.ts';

test('Range headers against a 1000-byte file', () => {
  const cases: [string | undefined, ReturnType<typeof parseRange>][] = [
    [undefined, { kind: 'whole' }],
    ['bytes=0-99', { kind: 'partial', range: { start: 0, end: 99 } }],
    ['bytes=900-', { kind: 'partial', range: { start: 900, end: 999 } }],
    ['bytes=900-5000', { kind: 'partial', range: { start: 900, end: 999 } }],
    ['bytes=-100', { kind: 'partial', range: { start: 900, end: 999 } }],
    ['bytes=-5000', { kind: 'partial', range: { start: 0, end: 999 } }],
    ['bytes=999-999', { kind: 'partial', range: { start: 999, end: 999 } }],
    ['bytes=1000-', { kind: 'unsatisfiable' }],
    ['bytes=5000-6000', { kind: 'unsatisfiable' }],
    ['bytes=-0', { kind: 'unsatisfiable' }],
    // Invalid or unsupported ones are ignored: the whole file is sent.
    ['bytes=5-1', { kind: 'whole' }],
    ['bytes=a-b', { kind: 'whole' }],
    ['items=0-1', { kind: 'whole' }],
    ['bytes=0-1,5-6', { kind: 'whole' }],
    ['bytes=-', { kind: 'whole' }],
  ];
  for (const [header, expected] of cases) assert.deepEqual(parseRange(header, 1000), expected, header);
  assert.deepEqual(parseRange('bytes=0-', 0), { kind: 'unsatisfiable' });
  assert.equal(contentRange({ start: 0, end: 99 }, 1000), 'bytes 0-99/1000');
});

test('If-None-Match and If-Range', () => {
  assert.equal(noneMatch('"abc"', '"abc"'), true);
  assert.equal(noneMatch('W/"abc"', '"abc"'), true);
  assert.equal(noneMatch('"x", "abc"', '"abc"'), true);
  assert.equal(noneMatch('*', '"abc"'), true);
  assert.equal(noneMatch('"x"', '"abc"'), false);
  assert.equal(noneMatch(undefined, '"abc"'), false);
  assert.equal(rangeStillValid(undefined, '"abc"'), true);
  assert.equal(rangeStillValid('"abc"', '"abc"'), true);
  assert.equal(rangeStillValid('"old"', '"abc"'), false);
  assert.equal(rangeStillValid('W/"abc"', '"abc"'), false);
});
