// Webhook signatures in the GitHub, Stripe and Standard Webhooks forms: what verifies, what does not, and that no
// header, however malformed, makes the check throw.
import assert from 'node:assert/strict';
import { createHmac, randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { checkSignature, type HeaderMap, standardWebhookKeys } from './signatures.ts';

const SECRET = 'topsecret-webhook-key';
const BODY = Buffer.from('{"action":"opened","n":1}');
const NOW = 1_800_000_000;

const hex = (key: string | Buffer, text: string | Buffer) =>
  createHmac('sha256', key).update(text).digest('hex');
const b64 = (key: string | Buffer, text: string | Buffer) =>
  createHmac('sha256', key).update(text).digest('base64');

const github = (secret: string, body: Buffer): HeaderMap => ({
  'x-hub-signature-256': `sha256=${hex(secret, body)}`,
});
const stripe = (secret: string, body: Buffer, t = NOW, extra = ''): HeaderMap => ({
  'stripe-signature': `t=${t},v1=${hex(secret, `${t}.${body.toString()}`)}${extra}`,
});
const standard = (key: string | Buffer, body: Buffer, ts = NOW, id = 'msg_2abc'): HeaderMap => ({
  'webhook-id': id,
  'webhook-timestamp': String(ts),
  'webhook-signature': `v1,${b64(key, `${id}.${ts}.${body.toString()}`)}`,
});

const check = (headers: HeaderMap, secret = SECRET, body = BODY) =>
  checkSignature(headers, secret, body, NOW);

test('no signature header: unsigned (valid null), whatever other headers say', () => {
  assert.deepEqual(check({ 'content-type': 'application/json', 'webhook-id': 'x' }), {
    scheme: null,
    valid: null,
  });
});

test('GitHub: valid, wrong secret, tampered body, uppercase hex', () => {
  assert.deepEqual(check(github(SECRET, BODY)), { scheme: 'github', valid: true });
  assert.equal(check(github('other-secret', BODY)).valid, false);
  assert.equal(check(github(SECRET, BODY), SECRET, Buffer.from('{"action":"closed","n":1}')).valid, false);
  const upper = { 'x-hub-signature-256': `sha256=${hex(SECRET, BODY).toUpperCase()}` };
  assert.equal(check(upper).valid, true);
});

test('Stripe: valid, wrong secret, tampered body, stale and future timestamps, several v1 values', () => {
  assert.deepEqual(check(stripe(SECRET, BODY)), { scheme: 'stripe', valid: true });
  assert.equal(check(stripe('other', BODY)).valid, false);
  assert.equal(check(stripe(SECRET, BODY), SECRET, Buffer.from('{}')).valid, false);
  const stale = check(stripe(SECRET, BODY, NOW - 301));
  assert.equal(stale.valid, false);
  assert.match(stale.reason ?? '', /tolerance/);
  assert.equal(check(stripe(SECRET, BODY, NOW + 301)).valid, false);
  assert.equal(check(stripe(SECRET, BODY, NOW - 299)).valid, true);
  // Secret rotation: Stripe sends one v1 per active secret; any may match, in any position.
  const t = NOW;
  const good = hex(SECRET, `${t}.${BODY.toString()}`);
  const bad = hex('old-secret', `${t}.${BODY.toString()}`);
  assert.equal(check({ 'stripe-signature': `t=${t},v1=${bad},v1=${good},v0=abc` }).valid, true);
  assert.equal(check({ 'stripe-signature': `t=${t}, v1=${good}` }).valid, true);
  assert.equal(check({ 'stripe-signature': `t=${t},v1=${bad},v1=${bad}` }).valid, false);
  // A v0 (test-mode, unsupported) signature alone is not a signature we can verify.
  assert.equal(check({ 'stripe-signature': `t=${t},v0=${good}` }).valid, false);
});

test('Standard Webhooks: valid, wrong secret, tampered body, wrong id, stale, several signatures', () => {
  assert.deepEqual(check(standard(SECRET, BODY)), { scheme: 'standard', valid: true });
  assert.equal(check(standard('other', BODY)).valid, false);
  assert.equal(check(standard(SECRET, BODY), SECRET, Buffer.from('{}')).valid, false);
  const headers = standard(SECRET, BODY);
  assert.equal(check({ ...headers, 'webhook-id': 'msg_other' }).valid, false);
  assert.equal(check(standard(SECRET, BODY, NOW - 301)).valid, false);
  assert.equal(check(standard(SECRET, BODY, NOW + 301)).valid, false);
  const good = headers['webhook-signature'] as string;
  const bad = standard('old', BODY)['webhook-signature'] as string;
  assert.equal(check({ ...headers, 'webhook-signature': `${bad} v1a,AAAA ${good}` }).valid, true);
  assert.equal(check({ ...headers, 'webhook-signature': `${bad} ${bad}` }).valid, false);
  // Svix's header names are the same scheme.
  assert.equal(
    check({
      'svix-id': headers['webhook-id'],
      'svix-timestamp': headers['webhook-timestamp'],
      'svix-signature': good,
    }).valid,
    true,
  );
});

test('Standard Webhooks: whsec_ secrets sign with the decoded bytes; plain base64 secrets work either way', () => {
  const raw = randomBytes(24);
  const secret = `whsec_${raw.toString('base64')}`;
  assert.equal(check(standard(raw, BODY), secret).valid, true);
  // Signing with the text of the secret does not verify against a whsec_ secret.
  assert.equal(check(standard(secret, BODY), secret).valid, false);
  const plain = raw.toString('base64');
  assert.equal(check(standard(raw, BODY), plain).valid, true);
  assert.equal(check(standard(plain, BODY), plain).valid, true);
  assert.deepEqual(standardWebhookKeys('whsec_!!!'), []);
  assert.equal(check(standard(raw, BODY), 'whsec_!!!').valid, false);
});

test('several forms present: each must verify', () => {
  assert.equal(check({ ...github(SECRET, BODY), ...stripe(SECRET, BODY) }).valid, true);
  const mixed = check({ ...github(SECRET, BODY), ...stripe('forged', BODY) });
  assert.equal(mixed.valid, false);
  assert.equal(mixed.scheme, 'stripe');
});

test('malformed headers are invalid signatures, never exceptions', () => {
  const cases: HeaderMap[] = [
    { 'x-hub-signature-256': '' },
    { 'x-hub-signature-256': 'sha256=' },
    { 'x-hub-signature-256': 'sha1=abcdef' },
    { 'x-hub-signature-256': `sha256=${'z'.repeat(64)}` },
    { 'x-hub-signature-256': `sha256=${'a'.repeat(63)}` },
    { 'x-hub-signature-256': `sha256=${'a'.repeat(100_000)}` },
    { 'x-hub-signature-256': ['sha256=aa', 'sha256=bb'] },
    { 'stripe-signature': '' },
    { 'stripe-signature': ',,,=,' },
    { 'stripe-signature': 't=abc,v1=00' },
    { 'stripe-signature': `t=${NOW}` },
    { 'stripe-signature': `t=${'9'.repeat(400)},v1=${'a'.repeat(64)}` },
    { 'stripe-signature': `v1=${'a'.repeat(64)}` },
    { 'stripe-signature': `t=${NOW},v1=${'é'.repeat(64)}` },
    { 'webhook-signature': 'v1,abc' },
    { 'webhook-signature': '', 'webhook-id': 'a', 'webhook-timestamp': String(NOW) },
    { 'webhook-signature': 'v1,', 'webhook-id': 'a', 'webhook-timestamp': String(NOW) },
    { 'webhook-signature': 'v1,!!!!', 'webhook-id': 'a', 'webhook-timestamp': String(NOW) },
    { 'webhook-signature': 'v1,AAAA', 'webhook-id': 'a', 'webhook-timestamp': 'yesterday' },
    { 'webhook-signature': 'v2,AAAA', 'webhook-id': 'a', 'webhook-timestamp': String(NOW) },
    { 'webhook-signature': `v1,${'A'.repeat(43)}=`, 'webhook-id': '', 'webhook-timestamp': String(NOW) },
  ];
  for (const headers of cases) {
    const result = checkSignature(headers, SECRET, BODY, NOW);
    assert.equal(result.valid, false, JSON.stringify(headers).slice(0, 120));
    assert.ok(result.reason, 'a failed check says why');
    assert.ok(!result.reason.includes(SECRET));
  }
  // An empty secret or an empty body still computes (and fails or passes honestly).
  assert.equal(checkSignature(github('', Buffer.alloc(0)), '', Buffer.alloc(0), NOW).valid, true);
});
