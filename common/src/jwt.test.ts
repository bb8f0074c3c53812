import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SignJWT } from 'jose';
import { createJwtKey, signAccessToken, verifyAccessToken } from './jwt.ts';

const key = createJwtKey('k'.repeat(32));

test('a signed token verifies to its claims and the expiry it was signed with', async () => {
  const before = Math.floor(Date.now() / 1000);
  const token = await signAccessToken(key, { sub: 'user-1', role: 'USER' }, 60);
  const claims = await verifyAccessToken(key, token);
  assert.deepEqual({ ...claims, exp: undefined }, { sub: 'user-1', role: 'USER', exp: undefined });
  assert.ok(
    claims!.exp! >= before + 60 && claims!.exp! <= Math.floor(Date.now() / 1000) + 60,
    String(claims!.exp),
  );
  const payload = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8')) as {
    exp: number;
  };
  assert.equal(claims!.exp, payload.exp);
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

test('a valid token signed without an expiry verifies with exp null', async () => {
  const token = await new SignJWT({ role: 'ADMIN' })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject('user-2')
    .sign(key);
  assert.deepEqual(await verifyAccessToken(key, token), { sub: 'user-2', role: 'ADMIN', exp: null });
});
