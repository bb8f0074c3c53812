import assert from 'node:assert/strict';
import { test } from 'node:test';
import { jsonDepthExceeds, MAX_JSON_DEPTH } from './json-depth.ts';

const nestedObject = (levels: number) => `${'{"a":'.repeat(levels)}1${'}'.repeat(levels)}`;
const nestedArray = (levels: number) => `${'['.repeat(levels)}${']'.repeat(levels)}`;

test('nesting up to the limit passes; one level more does not, for objects, arrays and mixes', () => {
  assert.equal(MAX_JSON_DEPTH, 128);
  for (const make of [nestedObject, nestedArray]) {
    assert.equal(jsonDepthExceeds(make(MAX_JSON_DEPTH)), false);
    assert.equal(jsonDepthExceeds(make(MAX_JSON_DEPTH + 1)), true);
    assert.equal(jsonDepthExceeds(make(4500)), true);
    assert.equal(jsonDepthExceeds(make(100_000)), true);
  }
  const mixed = `${'[{"k":'.repeat(64)}0${'}]'.repeat(64)}`;
  assert.equal(jsonDepthExceeds(mixed), false);
  assert.equal(jsonDepthExceeds(`[${mixed}]`), true);
  assert.equal(jsonDepthExceeds(nestedArray(3), 2), true);
  assert.equal(jsonDepthExceeds(nestedArray(2), 2), false);
});

test('depth is nesting, not the number of brackets: long flat documents pass', () => {
  const wide = JSON.stringify(Array.from({ length: 10_000 }, (_, i) => ({ id: i, tags: [[i]] })));
  assert.equal(jsonDepthExceeds(wide), false);
  const rows = JSON.stringify({ rows: Array.from({ length: 1000 }, () => JSON.parse(nestedObject(100))) });
  assert.equal(jsonDepthExceeds(rows), false);
});

test('brackets inside strings, escaped quotes included, do not count', () => {
  const text = JSON.stringify({ s: '['.repeat(10_000), t: `"\\${'{'.repeat(500)}`, u: '\\' });
  assert.equal(jsonDepthExceeds(text), false);
  assert.equal(jsonDepthExceeds(`[${JSON.stringify('\\"[[[[')},[[[1]]]]`, 3), true);
  assert.equal(jsonDepthExceeds(`[${JSON.stringify('\\"[[[[')},[[1]]]`, 3), false);
});

test('text that is not JSON gets an answer without throwing', () => {
  assert.equal(jsonDepthExceeds(''), false);
  assert.equal(jsonDepthExceeds('"unterminated'.padEnd(500, '[')), false);
  assert.equal(jsonDepthExceeds(']'.repeat(1000) + '['.repeat(1000)), true);
  assert.equal(jsonDepthExceeds('}'.repeat(1000)), false);
});
