// Who may restore through the API on a fresh install: an admin's bearer token, or the one-time restore token the
// backend makes at start (X-Restore-Token). The API key alone is not enough; a used token does not work twice.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { after, test } from 'node:test';
import { ADMIN, call, login, registerUser } from './helpers.ts';
import {
  type BackupsTestApp,
  cliService,
  databaseFingerprint,
  FIXTURE,
  leftovers,
  query,
  startBackupsApp,
  uploadRestore,
} from './backups-helpers.ts';

const apps: BackupsTestApp[] = [];
after(async () => {
  for (const app of apps) await app.close();
});

async function newApp() {
  const started = await startBackupsApp();
  apps.push(started);
  return started;
}

/** As if nobody had logged in yet (a database restored from a backup made before the first login). */
const forgetLogins = (t: BackupsTestApp) =>
  query(t.db.directUrl, 'UPDATE system_config SET initialized = false');

test('without a token, or with a wrong one, the restore is refused with 401 before the upload is read', async () => {
  const t = await newApp();
  const before = await databaseFingerprint(t.db.directUrl);
  const missing = await uploadRestore(t, readFileSync(FIXTURE), { token: null });
  assert.equal(missing.status, 401);
  assert.equal(missing.body.code, 'RESTORE_TOKEN_REQUIRED');
  assert.match(String(missing.body.detail), /X-Restore-Token/);
  const wrong = await uploadRestore(t, readFileSync(FIXTURE), { token: `${t.restoreToken}x` });
  assert.equal(wrong.status, 401);
  assert.equal(wrong.body.code, 'RESTORE_TOKEN_INVALID');
  assert.deepEqual(await databaseFingerprint(t.db.directUrl), before);
  assert.deepEqual(readdirSync(t.backupsDir), [], 'the upload was never stored');
  assert.deepEqual(await leftovers(t), []);
});

test('a user’s bearer token is not enough; an admin’s is, without the restore token', async () => {
  const t = await newApp();
  const user = await registerUser(t.app, 'plain@example.com');
  const admin = await login(t.app, ADMIN.email, ADMIN.password);
  await forgetLogins(t);
  const asUser = await uploadRestore(t, readFileSync(FIXTURE), { token: null, bearer: user.access_token });
  assert.equal(asUser.status, 401);
  assert.equal(asUser.body.code, 'RESTORE_TOKEN_REQUIRED');
  const asAdmin = await uploadRestore(t, readFileSync(FIXTURE), { token: null, bearer: admin.access_token });
  assert.equal(asAdmin.status, 200, JSON.stringify(asAdmin.body));
  assert.ok((await login(t.app, 'alice@example.com', 'alicepass123')).access_token);
});

test('the restore token works once: a successful restore uses it up', async () => {
  const t = await newApp();
  const restored = await uploadRestore(t, readFileSync(FIXTURE));
  assert.equal(restored.status, 200, JSON.stringify(restored.body));
  assert.throws(() => statSync(t.restoreTokenFile), /ENOENT/, 'the token file is gone');
  // Even were the install fresh again, the same token is refused.
  await forgetLogins(t);
  const again = await uploadRestore(t, readFileSync(FIXTURE));
  assert.equal(again.status, 401);
  assert.equal(again.body.code, 'RESTORE_TOKEN_INVALID');
});

test('on an initialized install the answer stays 403 RESTORE_NOT_ALLOWED, token or not', async () => {
  const t = await newApp();
  await login(t.app, ADMIN.email, ADMIN.password);
  for (const token of [t.restoreToken, null]) {
    const refused = await uploadRestore(t, readFileSync(FIXTURE), { token });
    assert.equal(refused.status, 403);
    assert.equal(refused.body.code, 'RESTORE_NOT_ALLOWED');
  }
});

test('at start a fresh install gets a new token (0600 file, logged); an initialized one loses its token', async () => {
  const t = await newApp();
  const cli = cliService(t, { RESTORE_TOKEN_FILE: t.restoreTokenFile });
  try {
    const token = await cli.service.prepareRestoreToken();
    assert.ok(token && token.length >= 32);
    assert.equal(readFileSync(t.restoreTokenFile, 'utf8').trim(), token);
    assert.equal(statSync(t.restoreTokenFile).mode & 0o777, 0o600);
    assert.ok(cli.lines.some((line) => line.includes(token) && line.includes('X-Restore-Token')));
    // The earlier token no longer works; the new one does (the backend reads the same file).
    assert.equal((await uploadRestore(t, Buffer.from('x'))).body.code, 'RESTORE_TOKEN_INVALID');
    assert.equal((await uploadRestore(t, Buffer.from('x'), { token })).body.code, 'BACKUP_INVALID');
    await login(t.app, ADMIN.email, ADMIN.password);
    assert.equal(await cli.service.prepareRestoreToken(), null);
    assert.throws(() => statSync(t.restoreTokenFile), /ENOENT/);
  } finally {
    await cli.close();
  }
});

test('the OpenAPI document describes the X-Restore-Token header of the restore', async () => {
  const t = await newApp();
  const document = (await call(t.app, 'GET', '/openapi.json')).body as unknown as {
    paths: Record<
      string,
      Record<string, { parameters?: { name: string; in: string }[]; description?: string }>
    >;
  };
  const operation = document.paths['/backups/restore']?.post;
  const names = (operation?.parameters ?? []).map((p) => `${p.in}:${p.name}`);
  assert.ok(names.includes('header:x-restore-token'), names.join(', '));
  assert.ok(names.includes('header:X-API-Key'), names.join(', '));
  assert.match(String(operation?.description), /restore token/);
});
