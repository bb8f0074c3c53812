import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  isValidBucketName,
  numberedPath,
  numberingParts,
  objectPathProblem,
  storageServiceKey,
} from './storage.ts';

test('object paths: what is accepted', () => {
  for (const path of [
    'a.txt',
    'docs/readme.md',
    'with space/and more spaces.pdf',
    'unicode/ünïcödé 日本語 📷.png',
    '%2e%2e',
    '..a/b..',
    '.env',
    'a'.repeat(255),
    `${'d/'.repeat(400)}x`,
  ]) {
    assert.equal(objectPathProblem(path), null, path);
  }
});

test('object paths: traversal, absolute paths, NUL and the rest are refused', () => {
  const refused: [string, RegExp][] = [
    ['', /empty/],
    ['../etc/passwd', /\.\./],
    ['a/../../b', /\.\./],
    ['a/./b', /\./],
    ['..', /\.\./],
    ['/etc/passwd', /Absolute/],
    ['a//b', /empty segment/],
    ['a/', /empty segment/],
    ['a\\..\\b', /Backslash/],
    ['a\u0000b', /control/],
    ['line\nbreak', /control/],
    ['x'.repeat(256), /255 bytes/],
    ['é'.repeat(128), /255 bytes/],
    ['x/'.repeat(500) + 'y', /1000/],
    ['bad\uD800half', /Unicode/],
    ['dir/.selfdb-upload-1.tmp', /reserved/],
  ];
  for (const [path, reason] of refused) {
    assert.match(objectPathProblem(path) ?? 'accepted', reason, JSON.stringify(path));
  }
});

test('bucket names follow SelfDB 0.0.5', () => {
  for (const name of ['abc', 'my-bucket', 'a1-b2', 'x'.repeat(63)]) assert.ok(isValidBucketName(name), name);
  for (const name of ['ab', 'My-Bucket', '-abc', 'abc-', 'a_b', 'a.b', 'x'.repeat(64), '../x', 'a b'])
    assert.ok(!isValidBucketName(name), name);
});

test('numbered names split like os.path.splitext', () => {
  const cases: [string, string][] = [
    ['a.txt', 'a (1).txt'],
    ['dir/photo.jpeg', 'dir/photo (1).jpeg'],
    ['archive.tar.gz', 'archive.tar (1).gz'],
    ['.env', '.env (1)'],
    ['..a', '..a (1)'],
    ['noext', 'noext (1)'],
    ['dir.d/noext', 'dir.d/noext (1)'],
  ];
  for (const [path, expected] of cases) assert.equal(numberedPath(path, 1), expected, path);
  assert.equal(numberedPath('a.txt', 12), 'a (12).txt');
  assert.deepEqual(numberingParts('dir/a.b.c'), { prefix: 'dir/a.b', suffix: '.c' });
});

test('the storage service key is derived from SECRET_KEY unless given', () => {
  const derived = storageServiceKey('s'.repeat(40));
  assert.match(derived, /^[0-9a-f]{64}$/);
  assert.notEqual(derived, 's'.repeat(40));
  assert.notEqual(storageServiceKey('t'.repeat(40)), derived);
  assert.equal(storageServiceKey('s'.repeat(40), 'explicit-key'), 'explicit-key');
});
