import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { test } from 'node:test';
import {
  addressLimitKey,
  requestClientAddress,
  signClientAddress,
  verifyClientAddress,
} from './client-address.ts';

const SECRET = 'x'.repeat(32);

test('a signed client address verifies only with the same secret and the same address', () => {
  const signature = signClientAddress(SECRET, '203.0.113.7');
  assert.match(signature, /^[0-9a-f]{64}$/);
  assert.equal(verifyClientAddress(SECRET, '203.0.113.7', signature), true);
  assert.equal(verifyClientAddress(SECRET, '203.0.113.8', signature), false);
  assert.equal(verifyClientAddress('y'.repeat(32), '203.0.113.7', signature), false);
  for (const forged of ['', 'zz', signature.slice(2), `${signature}00`]) {
    assert.equal(verifyClientAddress(SECRET, '203.0.113.7', forged), false, forged);
  }
});

test('requestClientAddress: the peer, or with trustProxy the first X-Forwarded-For entry that is an IP', () => {
  const request = (forwarded?: string | string[]) =>
    ({
      socket: { remoteAddress: '10.0.0.2' },
      headers: forwarded === undefined ? {} : { 'x-forwarded-for': forwarded },
    }) as unknown as IncomingMessage;
  assert.equal(requestClientAddress(request('203.0.113.7'), false), '10.0.0.2');
  assert.equal(requestClientAddress(request(), true), '10.0.0.2');
  assert.equal(requestClientAddress(request(' 203.0.113.7 , 10.0.0.9'), true), '203.0.113.7');
  assert.equal(requestClientAddress(request('2001:db8::1'), true), '2001:db8::1');
  assert.equal(requestClientAddress(request(['198.51.100.1', '10.0.0.9']), true), '198.51.100.1');
  assert.equal(requestClientAddress(request('not-an-address, 1.2.3.4'), true), '10.0.0.2');
});

test('addressLimitKey: IPv4 as is (mapped ones too), IPv6 by /64', () => {
  assert.equal(addressLimitKey('203.0.113.7'), '203.0.113.7');
  assert.equal(addressLimitKey('::ffff:203.0.113.7'), '203.0.113.7');
  assert.equal(addressLimitKey('2001:db8:1:2:3:4:5:6'), '2001:db8:1:2::/64');
  assert.equal(addressLimitKey('2001:DB8:0001:0002::9'), '2001:db8:1:2::/64');
  assert.equal(addressLimitKey('2001:db8::1'), '2001:db8:0:0::/64');
  assert.equal(addressLimitKey('::1'), '0:0:0:0::/64');
  assert.equal(addressLimitKey('fe80::1%eth0'), 'fe80:0:0:0::/64');
  assert.equal(addressLimitKey('1::2:3:4:5:6.7.8.9'), '1:0:2:3::/64');
  assert.equal(addressLimitKey('64:ff9b::192.0.2.33'), '64:ff9b:0:0::/64');
  assert.equal(addressLimitKey('unknown'), 'unknown');
});
