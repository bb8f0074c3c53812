// SelfDB 0.0.5's own archive restores with its function and webhook: both readable through /functions and
// /webhooks (0.0.5 fields, the secret masked), the function counted as deployed at its version, and editable (a
// code change is version 2 with version 1 kept).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, test } from 'node:test';
import { FIXTURE, query, startBackupsApp, uploadRestore, type BackupsTestApp } from './backups-helpers.ts';
import { call, login } from './helpers.ts';
import { MASKED_SECRET } from '../src/modules/webhooks/webhooks.dto.ts';

const apps: BackupsTestApp[] = [];
after(async () => {
  for (const app of apps) await app.close();
});

test("0.0.5's archive: its function and webhook are readable and editable through the API", async () => {
  const t = await startBackupsApp({ FUNCTIONS_INTERNAL_PORT: '1' });
  apps.push(t);
  const restored = await uploadRestore(t, readFileSync(FIXTURE));
  assert.equal(restored.status, 200, JSON.stringify(restored.body));
  const { access_token: token } = await login(t.app, 'admin@example.com', 'password');
  const api = (method: string, url: string, body?: unknown) =>
    call(t.app, method, url, { token, ...(body !== undefined && { body }) });

  const functionId = '77777777-7777-4777-8777-777777777777';
  const list = await api('GET', '/functions/');
  assert.equal(list.status, 200, JSON.stringify(list.body));
  assert.equal(list.body.total, 1);
  const fn = await api('GET', `/functions/${functionId}`);
  assert.equal(fn.status, 200);
  assert.equal(fn.body.name, 'hello');
  assert.equal(fn.body.description, 'says hello');
  assert.equal(fn.body.code, 'export default async (req, ctx) => new Response("hello")');
  assert.equal(fn.body.deployment_status, 'deployed');
  assert.equal(fn.body.deployed_version, 1, "0.0.5's deployed row counts as deployed at its version");
  assert.deepEqual(fn.body.env_vars, { GREETING: 'hi' });
  assert.deepEqual(fn.body.triggers, []);
  assert.equal((await api('GET', '/functions/count?search=hello')).body, 1);
  assert.equal((await api('GET', `/functions/${functionId}/executions`)).body.total, 0);
  assert.equal((await api('GET', `/functions/${functionId}/logs`)).body.total, 0);

  const hooks = await api('GET', '/webhooks/');
  assert.equal(hooks.body.total, 1);
  const hook = await api('GET', '/webhooks/88888888-8888-4888-8888-888888888888');
  assert.equal(hook.status, 200);
  assert.equal(hook.body.function_id, functionId);
  assert.equal(hook.body.name, 'stripe');
  assert.equal(hook.body.webhook_token, 'tok_sample_0123456789abcdef');
  assert.equal(hook.body.secret_key, MASKED_SECRET);
  assert.equal(hook.body.retry_delay_seconds, 60);
  assert.equal((await api('GET', `/webhooks/${hook.body.id}/deliveries`)).body.total, 0);

  const edited = await api('PATCH', `/functions/${functionId}`, {
    code: 'export default async () => new Response("hello again")',
  });
  assert.equal(edited.status, 200, JSON.stringify(edited.body));
  assert.equal(edited.body.version, 2);
  assert.equal(edited.body.deployment_status, 'pending');
  assert.equal(edited.body.deployed_version, 1, 'the restored code stays the deployed one');
  const versions = await query<{ version: number }>(
    t.db.directUrl,
    'SELECT version FROM function_versions WHERE function_id = $1 ORDER BY version',
    [functionId],
  );
  assert.deepEqual(
    versions.map((v) => v.version),
    [1, 2],
  );
});
