// meteredBody, the stand-in for a raw upload's request body: its size limit and its "client went away" error,
// whose codes and texts clients see.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import type { IncomingMessage } from 'node:http';
import { PassThrough } from 'node:stream';
import { test } from 'node:test';
import { AppError } from '@selfdb/common';
import { meteredBody } from '../src/modules/storage/request-body.ts';

const fakeRequest = () => new PassThrough() as PassThrough & IncomingMessage;

test('meteredBody passes a body within the limit through unchanged', async () => {
  const request = fakeRequest();
  const body = meteredBody(request, { bytes: 5, fromBucket: true });
  request.end('12345');
  const chunks: Buffer[] = [];
  for await (const chunk of body) chunks.push(chunk as Buffer);
  assert.equal(Buffer.concat(chunks).toString(), '12345');
});

test('meteredBody fails with 413 FILE_TOO_LARGE past the limit, without destroying the request', async () => {
  const request = fakeRequest();
  const body = meteredBody(request, { bytes: 4, fromBucket: true });
  body.resume();
  const closed = new Promise((resolve) => body.once('close', resolve));
  request.write('12345');
  const [err] = (await once(body, 'error')) as [AppError];
  assert.ok(err instanceof AppError);
  assert.equal(err.statusCode, 413);
  assert.equal(err.code, 'FILE_TOO_LARGE');
  assert.equal(err.message, 'File too large: this bucket takes files up to 4 bytes');
  await closed;
  assert.equal(request.destroyed, false);
});

test('meteredBody fails with 400 when the client closes the connection before the body ended', async () => {
  const request = fakeRequest();
  const body = meteredBody(request);
  body.resume();
  request.write('part');
  request.destroy();
  const [err] = (await once(body, 'error')) as [AppError];
  assert.ok(err instanceof AppError);
  assert.equal(err.statusCode, 400);
  assert.equal(err.code, 'BAD_REQUEST');
  assert.equal(err.message, 'The client closed the connection before the body ended');
});
