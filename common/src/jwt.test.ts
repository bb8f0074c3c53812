import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SignJWT } from 'jose';
import {
  createJwtKey,
  MAX_ACCESS_TOKEN_LIFETIME_SECONDS,
  signAccessToken,
  verifyAccessToken,
} from './jwt.ts';

const key = createJwtKey('k'.repeat(32));
const USER = '11111111-1111-4111-8111-111111111111';
const SESSION = '22222222-2222-4222-8222-222222222222';
const claims = { sub: USER, role: 'USER' as const, sid: SESSION };
const now = () => Math.floor(Date.now() / 1000);

/** Signs arbitrary claims with the right key and algorithm (what only a holder of SECRET_KEY could do). */
function sign(payload: Record<string, unknown>) {
  return new SignJWT(payload).setProtectedHeader({ alg: 'HS256' }).sign(key);
}

test('a signed token verifies to its claims and the expiry it was signed with', async () => {
  const before = now();
  const token = await signAccessToken(key, claims, 60);
  const verified = await verifyAccessToken(key, token);
  assert.deepEqual({ ...verified, exp: undefined }, { ...claims, exp: undefined });
  assert.ok(verified!.exp >= before + 60 && verified!.exp <= now() + 60, String(verified!.exp));
  const payload = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8')) as {
    exp: number;
    iat: number;
    sid: string;
  };
  assert.equal(verified!.exp, payload.exp);
  assert.equal(payload.exp - payload.iat, 60);
  assert.equal(payload.sid, SESSION);
});

test('tampered, expired, foreign and malformed tokens verify to null', async () => {
  const token = await signAccessToken(key, claims, 60);
  const [header, , signature] = token.split('.');
  const forgedPayload = Buffer.from(
    JSON.stringify({ ...claims, role: 'ADMIN', iat: now(), exp: now() + 60 }),
  ).toString('base64url');
  assert.equal(await verifyAccessToken(key, `${header}.${forgedPayload}.${signature}`), null);
  assert.equal(await verifyAccessToken(key, await signAccessToken(key, claims, -1)), null);
  assert.equal(await verifyAccessToken(createJwtKey('o'.repeat(32)), token), null);
  for (const junk of ['', 'a.b.c', 'x'.repeat(5000)]) assert.equal(await verifyAccessToken(key, junk), null);
});

test('a token without exp, iat, sid or a UUID sub is refused, even correctly signed', async () => {
  const iat = now();
  const good = { ...claims, iat, exp: iat + 60 };
  assert.notEqual(await verifyAccessToken(key, await sign(good)), null, 'the complete token verifies');
  for (const missing of ['exp', 'iat', 'sid', 'sub', 'role'] as const) {
    const { [missing]: _dropped, ...rest } = good;
    assert.equal(await verifyAccessToken(key, await sign(rest)), null, `without ${missing}`);
  }
  for (const [name, payload] of Object.entries({
    'a non-UUID sub': { ...good, sub: 'user-1' },
    'a non-UUID sid': { ...good, sid: 'session' },
    'a numeric sid': { ...good, sid: 42 },
    'an unknown role': { ...good, role: 'ROOT' },
    'a string exp': { ...good, exp: String(iat + 60) },
  })) {
    assert.equal(await verifyAccessToken(key, await sign(payload)), null, name);
  }
});

test('a token living longer than the maximum, or issued in the future, is refused', async () => {
  const iat = now();
  const tooLong = await sign({ ...claims, iat, exp: iat + MAX_ACCESS_TOKEN_LIFETIME_SECONDS + 1 });
  assert.equal(await verifyAccessToken(key, tooLong), null, 'over the default maximum');
  const aDay = await sign({ ...claims, iat, exp: iat + MAX_ACCESS_TOKEN_LIFETIME_SECONDS });
  assert.notEqual(await verifyAccessToken(key, aDay), null, 'exactly the default maximum');
  assert.equal(await verifyAccessToken(key, aDay, 1800), null, 'over the maximum the verifier passes');
  const hundredYears = await sign({ ...claims, iat, exp: iat + 100 * 365 * 86_400 });
  assert.equal(await verifyAccessToken(key, hundredYears), null);
  const future = await sign({ ...claims, iat: iat + 3600, exp: iat + 3660 });
  assert.equal(await verifyAccessToken(key, future), null, 'iat an hour ahead');
  const skewed = await sign({ ...claims, iat: iat + 30, exp: iat + 90 });
  assert.notEqual(await verifyAccessToken(key, skewed), null, 'iat a little ahead (clock skew)');
});
