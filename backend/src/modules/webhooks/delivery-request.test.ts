// What a webhook delivery keeps of its request: headers without credentials (signature values redacted), and the
// body as JSON, `{}` when it is not JSON (as SelfDB 0.0.5).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AppError } from '@selfdb/common';
import { parseDeliveryBody, redactHeaders } from './deliveries.service.ts';

test('credentials are dropped; signatures and secret-named headers are redacted; the rest kept', () => {
  const kept = redactHeaders({
    authorization: 'Bearer abc',
    'proxy-authorization': 'Basic abc',
    cookie: 'a=b',
    'x-api-key': 'k',
    'x-functions-key': 'f',
    'x-hub-signature-256': 'sha256=00',
    'stripe-signature': 't=1,v1=00',
    'webhook-signature': 'v1,AA==',
    'x-gitlab-token': 'glt',
    'x-shopify-hmac-sha256': 'keep-me',
    'webhook-id': 'msg_1',
    'x-forwarded-for': ['1.2.3.4', '5.6.7.8'],
    'user-agent': 'GitHub-Hookshot/1',
    absent: undefined,
  });
  assert.deepEqual(kept, {
    'x-hub-signature-256': '[redacted]',
    'stripe-signature': '[redacted]',
    'webhook-signature': '[redacted]',
    'x-gitlab-token': '[redacted]',
    'x-shopify-hmac-sha256': 'keep-me',
    'webhook-id': 'msg_1',
    'x-forwarded-for': '1.2.3.4, 5.6.7.8',
    'user-agent': 'GitHub-Hookshot/1',
  });
});

test('bodies: any JSON value as sent, {} for anything else, 400 JSON_TOO_DEEP past the nesting limit', () => {
  assert.deepEqual(parseDeliveryBody(Buffer.from('{"a":[1,{"b":null}]}')), { a: [1, { b: null }] });
  assert.deepEqual(parseDeliveryBody(Buffer.from(' [1,2] ')), [1, 2]);
  assert.equal(parseDeliveryBody(Buffer.from('"text"')), 'text');
  for (const raw of ['', '   ', 'a=b&c=d', '{"a":', '<xml/>', '\u0000\u00ff']) {
    assert.deepEqual(parseDeliveryBody(Buffer.from(raw)), {}, JSON.stringify(raw));
  }
  assert.deepEqual(parseDeliveryBody(Buffer.from([0xff, 0xfe, 0x00])), {});
  assert.throws(
    () => parseDeliveryBody(Buffer.from(`${'['.repeat(500)}${']'.repeat(500)}`)),
    (err: unknown) => err instanceof AppError && err.code === 'JSON_TOO_DEEP' && err.statusCode === 400,
  );
});
