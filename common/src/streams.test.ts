import assert from 'node:assert/strict';
import { once } from 'node:events';
import { PassThrough, Writable } from 'node:stream';
import { test } from 'node:test';
import { AppError } from './errors.ts';
import { feed } from './streams.ts';

/** A sink that collects what it receives, and fails its write once it holds more than `failAfter` bytes. */
function sink(failAfter = Number.POSITIVE_INFINITY) {
  const chunks: Buffer[] = [];
  let bytes = 0;
  const into = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      bytes += chunk.length;
      if (bytes > failAfter) return callback(new Error('limit'));
      chunks.push(chunk);
      callback();
    },
  });
  return { into, received: () => Buffer.concat(chunks).toString() };
}

test('feed: a whole body arrives and finishes the sink', async () => {
  const source = new PassThrough();
  const { into, received } = sink();
  feed(source, into);
  source.end('hello');
  await once(into, 'finish');
  assert.equal(received(), 'hello');
});

test('feed: a source closed before its end fails the sink with 400 and the default detail', async () => {
  const source = new PassThrough();
  const { into } = sink();
  feed(source, into);
  source.write('partial');
  source.destroy();
  const [err] = (await once(into, 'error')) as [AppError];
  assert.ok(err instanceof AppError);
  assert.equal(err.statusCode, 400);
  assert.equal(err.code, 'BAD_REQUEST');
  assert.equal(err.message, 'The body was cut short (the client disconnected)');
});

test('feed: a failing source fails the sink with the caller’s detail', async () => {
  const source = new PassThrough();
  const { into } = sink();
  feed(source, into, 'custom detail');
  source.destroy(new Error('ECONNRESET'));
  const [err] = (await once(into, 'error')) as [AppError];
  assert.ok(err instanceof AppError);
  assert.equal(err.message, 'custom detail');
});

test('feed: a failing sink never destroys the source, and stops listening to it', async () => {
  const source = new PassThrough();
  const { into } = sink(3);
  feed(source, into);
  const closed = new Promise((resolve) => into.once('close', resolve));
  source.write('more than three bytes');
  const [err] = (await once(into, 'error')) as [Error];
  assert.equal(err.message, 'limit');
  await closed;
  assert.equal(source.destroyed, false);
  assert.equal(source.listenerCount('close'), 0);
  source.destroy();
});
