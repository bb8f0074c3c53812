import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatBytes } from '../../lib/format.ts';
import {
  absoluteSignedUrl,
  decodePreview,
  imageType,
  isResumable,
  plural,
  previewKind,
  removeEach,
  RESUMABLE_THRESHOLD,
  uploadPercent,
} from './storage.ts';

test('previews: raster images as images; text, HTML and SVG as text; others none', () => {
  assert.equal(previewKind('image/png', 'a.png'), 'image');
  assert.equal(previewKind('image/jpeg; charset=binary', 'a'), 'image');
  assert.equal(previewKind('text/html', 'page.html'), 'text');
  assert.equal(previewKind('image/svg+xml', 'logo.svg'), 'text');
  assert.equal(previewKind('application/json', 'x'), 'text');
  assert.equal(previewKind('application/vnd.api+json', 'x'), 'text');
  // The raw upload's default type: the extension decides.
  assert.equal(previewKind('application/octet-stream', 'notes.TXT'), 'text');
  assert.equal(previewKind('application/octet-stream', 'photo.webp'), 'image');
  assert.equal(previewKind('application/octet-stream', 'archive.tar.gz'), null);
  assert.equal(previewKind('application/pdf', 'doc.txt'), null);
  assert.equal(previewKind('application/octet-stream', '.txt'), null);
  assert.equal(imageType('application/octet-stream', 'a.JPG'), 'image/jpeg');
  assert.equal(imageType('image/gif', 'a.png'), 'image/gif');
});

test('files above the threshold go resumable', () => {
  assert.equal(isResumable(RESUMABLE_THRESHOLD), false);
  assert.equal(isResumable(RESUMABLE_THRESHOLD + 1), true);
  assert.equal(isResumable(0), false);
});

test('upload percent is whole, never 100 before the last byte, and survives odd input', () => {
  assert.equal(uploadPercent(0, 200), 0);
  assert.equal(uploadPercent(199, 200), 99);
  assert.equal(uploadPercent(1999, 2000), 99);
  assert.equal(uploadPercent(200, 200), 100);
  assert.equal(uploadPercent(300, 200), 100);
  assert.equal(uploadPercent(0, 0), 100);
});

test('signed links become absolute under the API URL', () => {
  assert.equal(
    absoluteSignedUrl('http://h:3000/api', '/storage/signed/b/a.txt?expires=1&signature=x'),
    'http://h:3000/api/storage/signed/b/a.txt?expires=1&signature=x',
  );
  assert.equal(absoluteSignedUrl('http://h/api/', 'storage/signed/b/x'), 'http://h/api/storage/signed/b/x');
  assert.equal(absoluteSignedUrl('http://h/api', 'https://cdn.example/x'), 'https://cdn.example/x');
});

test('text previews decode UTF-8, replace invalid bytes and say when cut short', () => {
  const bytes = new Uint8Array([0x3c, 0x62, 0x3e, 0xc3, 0xa9, 0xff]).buffer;
  assert.deepEqual(decodePreview(bytes, 6), { text: '<b>é\uFFFD', truncated: false });
  assert.equal(decodePreview(bytes, 100).truncated, true);
});

test('sizes read as people write them', () => {
  assert.equal(formatBytes(0), '0 B');
  assert.equal(formatBytes(1023), '1023 B');
  assert.equal(formatBytes(1536), '1.5 KB');
  assert.equal(formatBytes(5 * 1024 * 1024), '5.0 MB');
  assert.equal(formatBytes(200 * 1024 * 1024), '200 MB');
  assert.equal(formatBytes(3 * 1024 ** 4), '3.0 TB');
});

test('a bulk removal goes through every id and reports the failures', async () => {
  const seen: string[] = [];
  const result = await removeEach(['a', 'b', 'c'], async (id) => {
    seen.push(id);
    if (id === 'b') throw new Error('refused');
  });
  assert.deepEqual(seen, ['a', 'b', 'c']);
  assert.deepEqual(result.removed, ['a', 'c']);
  assert.equal(result.failed.length, 1);
  assert.equal(result.failed[0]?.id, 'b');
  assert.equal((result.failed[0]?.error as Error).message, 'refused');
});

test('counts read naturally', () => {
  assert.equal(plural(1, 'bucket'), '1 bucket');
  assert.equal(plural(0, 'file'), '0 files');
  assert.equal(plural(2, 'file'), '2 files');
});
