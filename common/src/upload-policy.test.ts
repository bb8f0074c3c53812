import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { test } from 'node:test';
import { AppError, ErrorCode } from './errors.ts';
import { assertWithinLimit, type ByteLimit, ByteMeter, parseContentSha256 } from './upload-policy.ts';

const limit = (bytes: number): ByteLimit => ({
  bytes,
  tooLarge: () => new AppError(413, ErrorCode.FILE_TOO_LARGE, `over ${bytes}`),
});

test('parseContentSha256: 64 hex digits, lower-cased; anything else is a 400', () => {
  const hex = 'AB'.repeat(32);
  assert.equal(parseContentSha256(undefined), undefined);
  assert.equal(parseContentSha256(hex), 'ab'.repeat(32));
  for (const bad of ['ab', 'g'.repeat(64), [hex, hex]]) {
    assert.throws(
      () => parseContentSha256(bad),
      (err: unknown) => err instanceof AppError && err.statusCode === 400,
    );
  }
});

test('assertWithinLimit refuses an announced size past the limit, and only that', () => {
  assertWithinLimit(5, limit(5));
  assertWithinLimit(undefined, limit(5));
  assertWithinLimit(10, null);
  assert.throws(() => assertWithinLimit(6, limit(5)), /over 5/);
});

test('ByteMeter counts, hashes and passes the bytes within the limit', async () => {
  const meter = new ByteMeter({ limit: limit(5), hash: true });
  meter.end('12345');
  const chunks: Buffer[] = [];
  for await (const chunk of meter) chunks.push(chunk as Buffer);
  assert.equal(Buffer.concat(chunks).toString(), '12345');
  assert.equal(meter.bytes, 5);
  assert.equal(meter.digest(), createHash('sha256').update('12345').digest('hex'));
});

test('ByteMeter fails with the limit error past it, and waits for its gate before each chunk', async () => {
  const seen: number[] = [];
  const meter = new ByteMeter({
    limit: limit(4),
    gate: (_chunk, total) => {
      seen.push(total);
      return new Promise((resolve) => setImmediate(resolve));
    },
  });
  meter.resume();
  meter.write('12');
  meter.write('345');
  const [err] = (await once(meter, 'error')) as [Error];
  assert.match(err.message, /over 4/);
  assert.deepEqual(seen, [2]);
});
