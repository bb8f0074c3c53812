import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createJwtKey, signAccessToken, verifyAccessToken } from './jwt.ts';

const key = createJwtKey('k'.repeat(32));

test('a signed token verifies to its claims', async () => {
  const token = await signAccessToken(key, { sub: 'user-1', role: 'USER' }, 60);
  assert.deepEqual(await verifyAccessToken(key, token), { sub: 'user-1', role: 'USER' });
});

test('tampered, expired, foreign and malformed tokens verify to null', async () => {
  const token = await signAccessToken(key, { sub: 'user-1', role: 'USER' }, 60);
  const [header, , signature] = token.split('.');
  const forgedPayload = Buffer.from(
    JSON.stringify({ sub: 'user-1', role: 'ADMIN', exp: 9999999999 }),
  ).toString('base64url');
  assert.equal(await verifyAccessToken(key, `${header}.${forgedPayload}.${signature}`), null);
  assert.equal(
    await verifyAccessToken(key, await signAccessToken(key, { sub: 'u', role: 'USER' }, -1)),
    null,
  );
  assert.equal(await verifyAccessToken(createJwtKey('o'.repeat(32)), token), null);
  for (const junk of ['', 'a.b.c', 'x'.repeat(5000)]) assert.equal(await verifyAccessToken(key, junk), null);
});
