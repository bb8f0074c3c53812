// Deploys against the real functions runtime (functions/, real Deno sandboxes): success records the deployed
// version and the triggers the runtime read; code that does not parse fails with its line and leaves the deployed
// version running; the runtime down answers 503 and changes nothing; a restarted runtime gets every active deployed
// function back from the database (plugins/functions-sync.ts); edits of a deployed function reach the runtime.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { createServer, type Server, type Socket, connect } from 'node:net';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { AppError, createPool, type RuntimeRunResult } from '@selfdb/common';
import { type FunctionsRuntime, startFunctionsRuntime } from '../../scripts/lib/functions-runtime.ts';
import { createDeployer } from '../src/modules/functions/deployer.ts';
import { findFunctionById, findFunctionByName } from '../src/modules/functions/functions.repository.ts';
import { createRuntimeClient, type RuntimeClient } from '../src/modules/functions/runtime-client.ts';
import { ADMIN, call, login, startTestApp, type TestApp } from './helpers.ts';

const SERVICE_KEY = 'functions-deploy-test-service-key-0123456789';

/**
 * A TCP relay on a fixed port of 127.0.0.1 to whichever runtime is current: the backend's FUNCTIONS_INTERNAL_PORT
 * stays the same while the runtime behind it is restarted (as a restarted container keeps its address).
 */
class Relay {
  target: string | null = null;
  private sockets = new Set<Socket>();
  private constructor(readonly server: Server) {}

  static async open(): Promise<Relay> {
    const relay: Relay = new Relay(
      createServer((socket) => {
        if (!relay.target) return socket.destroy();
        const url = new URL(relay.target);
        const upstream = connect(Number(url.port), url.hostname);
        relay.sockets.add(socket).add(upstream);
        const drop = () => {
          socket.destroy();
          upstream.destroy();
          relay.sockets.delete(socket);
          relay.sockets.delete(upstream);
        };
        socket.on('error', drop).on('close', drop);
        upstream.on('error', drop).on('close', drop);
        socket.pipe(upstream).pipe(socket);
      }),
    );
    await new Promise<void>((resolve) => relay.server.listen(0, '127.0.0.1', resolve));
    return relay;
  }

  get port() {
    return (this.server.address() as AddressInfo).port;
  }

  /** Points at `target` (null: refuse), cutting every open connection. */
  switchTo(target: string | null) {
    this.target = target;
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
  }

  close() {
    this.switchTo(null);
    return new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

let relay: Relay;
let runtime: FunctionsRuntime | null = null;
let direct: RuntimeClient | null = null;
let t: TestApp;
let token = '';

async function startRuntime() {
  runtime = await startFunctionsRuntime({ serviceKey: SERVICE_KEY });
  direct = createRuntimeClient({ url: runtime.url, serviceKey: SERVICE_KEY });
  relay.switchTo(runtime.url);
}

async function stopRuntime() {
  relay.switchTo(null);
  await direct?.close();
  await runtime?.close();
  runtime = null;
  direct = null;
}

before(async () => {
  relay = await Relay.open();
  await startRuntime();
  t = await startTestApp({
    FUNCTIONS_HOST: '127.0.0.1',
    FUNCTIONS_INTERNAL_PORT: String(relay.port),
    FUNCTIONS_SERVICE_KEY: SERVICE_KEY,
  });
  token = (await login(t.app, ADMIN.email, ADMIN.password)).access_token;
});
after(async () => {
  await t.close();
  await stopRuntime();
  await relay.close();
});

const api = (method: string, url: string, body?: unknown) =>
  call(t.app, method, url, { token, ...(body !== undefined && { body }) });

async function createFunction(name: string, code: string, extra: Record<string, unknown> = {}) {
  const response = await api('POST', '/functions/', { name, code, ...extra });
  assert.equal(response.status, 201, JSON.stringify(response.body));
  return String(response.body.id);
}

/** Runs `name` at `version` straight on the current runtime (what the backend's runner does). */
function run(name: string, version: number): Promise<RuntimeRunResult> {
  return direct!.run(name, {
    version,
    executionId: randomUUID(),
    triggerType: 'manual',
    payload: {},
  });
}

async function runError(name: string, version: number): Promise<string> {
  try {
    await run(name, version);
  } catch (err) {
    if (err instanceof AppError) return err.code;
    throw err;
  }
  return 'ran';
}

const GREETER = (greeting: string) => `
export const triggers = [{ type: 'http', method: ['GET', 'POST'] }, { type: 'event', event: 'greet' }];
export default async function (request, context) {
  return { greeting: ${JSON.stringify(greeting)}, name: context.env.NAME ?? null };
}
`;

describe('deploy', () => {
  test('success: deployed, deployed_version, triggers from the runtime, last_deployed_at; the runtime runs it', async () => {
    const id = await createFunction('greeter', GREETER('hello'), { env_vars: { NAME: 'Ada' } });
    const response = await api('POST', `/functions/${id}/deploy`);
    assert.equal(response.status, 200, JSON.stringify(response.body));
    assert.equal(response.body.deployment_status, 'deployed');
    assert.equal(response.body.deployment_error, null);
    assert.equal(response.body.deployed_version, 1);
    assert.equal(response.body.version, 1);
    assert.ok(response.body.last_deployed_at);
    assert.deepEqual(response.body.triggers, [
      { type: 'http', method: ['GET', 'POST'] },
      { type: 'event', event: 'greet' },
    ]);
    assert.deepEqual((await api('GET', `/functions/${id}`)).body, response.body);
    const result = await run('greeter', 1);
    assert.equal(result.status, 'completed', JSON.stringify(result));
    assert.deepEqual(result.result, { greeting: 'hello', name: 'Ada' });
  });

  test('code that does not parse: failed with the line, the deployed version keeps running; a fix deploys', async () => {
    const id = await createFunction('fragile', GREETER('v1'));
    assert.equal((await api('POST', `/functions/${id}/deploy`)).body.deployment_status, 'deployed');
    const broken = 'export default async function () {\n  return { ok: true ;\n}\n';
    const edited = await api('PATCH', `/functions/${id}`, { code: broken });
    assert.equal(edited.body.version, 2);
    assert.equal(edited.body.deployment_status, 'pending');
    assert.equal(edited.body.deployed_version, 1);

    const response = await api('POST', `/functions/${id}/deploy`);
    assert.equal(response.status, 200, JSON.stringify(response.body));
    assert.equal(response.body.deployment_status, 'failed');
    assert.match(String(response.body.deployment_error), /line 2\b/, String(response.body.deployment_error));
    assert.equal(response.body.deployed_version, 1, 'the deployed version is unchanged');
    assert.equal(response.body.version, 2);
    assert.equal(response.body.code, broken);
    assert.deepEqual(response.body.triggers, [
      { type: 'http', method: ['GET', 'POST'] },
      { type: 'event', event: 'greet' },
    ]);
    const still = await run('fragile', 1);
    assert.deepEqual(still.result, { greeting: 'v1', name: null }, 'version 1 still runs');
    assert.equal(await runError('fragile', 2), 'FUNCTION_VERSION_MISMATCH');

    const fixed = await api('PATCH', `/functions/${id}`, { code: GREETER('v3') });
    assert.equal(fixed.body.version, 3);
    const redeployed = await api('POST', `/functions/${id}/deploy`);
    assert.equal(redeployed.body.deployment_status, 'deployed');
    assert.equal(redeployed.body.deployment_error, null);
    assert.equal(redeployed.body.deployed_version, 3);
    assert.deepEqual((await run('fragile', 3)).result, { greeting: 'v3', name: null });
  });

  test('a module without a default export function fails the same way', async () => {
    const id = await createFunction('no-default', 'export const x = 1;');
    const response = await api('POST', `/functions/${id}/deploy`);
    assert.equal(response.body.deployment_status, 'failed');
    assert.ok(String(response.body.deployment_error).length > 0);
    assert.equal(response.body.deployed_version, null);
    assert.equal(await runError('no-default', 1), 'FUNCTION_NOT_DEPLOYED');
  });

  test('edits of a deployed function reach the runtime: env vars at once, a rename moves it, deactivation removes it', async () => {
    const id = await createFunction('editable', GREETER('hi'), { env_vars: { NAME: 'before' } });
    await api('POST', `/functions/${id}/deploy`);
    const env = await api('PUT', `/functions/${id}/env`, { env_vars: { NAME: 'after' } });
    assert.equal(env.status, 200);
    assert.deepEqual((await run('editable', 1)).result, { greeting: 'hi', name: 'after' });

    const renamed = await api('PATCH', `/functions/${id}`, { name: 'edited' });
    assert.equal(renamed.body.deployment_status, 'deployed');
    assert.equal(await runError('editable', 1), 'FUNCTION_NOT_DEPLOYED');
    assert.deepEqual((await run('edited', 1)).result, { greeting: 'hi', name: 'after' });

    await api('PATCH', `/functions/${id}`, { is_active: false });
    assert.equal(await runError('edited', 1), 'FUNCTION_NOT_DEPLOYED');
    await api('PATCH', `/functions/${id}`, { is_active: true });
    assert.deepEqual((await run('edited', 1)).result, { greeting: 'hi', name: 'after' });

    assert.equal((await api('DELETE', `/functions/${id}`)).status, 204);
    assert.equal(await runError('edited', 1), 'FUNCTION_NOT_DEPLOYED');
  });

  test('an inactive function deploys (checked and recorded) but the runtime does not hold it until activated', async () => {
    const id = await createFunction('dormant', GREETER('later'));
    await api('PATCH', `/functions/${id}`, { is_active: false });
    const response = await api('POST', `/functions/${id}/deploy`);
    assert.equal(response.body.deployment_status, 'deployed');
    assert.equal(response.body.deployed_version, 1);
    assert.equal(await runError('dormant', 1), 'FUNCTION_NOT_DEPLOYED');
    await api('PATCH', `/functions/${id}`, { is_active: true });
    assert.deepEqual((await run('dormant', 1)).result, { greeting: 'later', name: null });
    assert.equal((await api('DELETE', `/functions/${id}`)).status, 204);
  });
});

describe('the runtime down, then restarted', () => {
  test('down: deploy is 503 FUNCTIONS_UNAVAILABLE and nothing changes; edits still save', async () => {
    const id = await createFunction('while-down', GREETER('x'));
    await stopRuntime();
    try {
      const before = (await api('GET', `/functions/${id}`)).body;
      const response = await api('POST', `/functions/${id}/deploy`);
      assert.equal(response.status, 503);
      assert.equal(response.body.code, 'FUNCTIONS_UNAVAILABLE');
      assert.deepEqual((await api('GET', `/functions/${id}`)).body, before);
      const edited = await api('PATCH', `/functions/${id}`, { description: 'edited while down' });
      assert.equal(edited.status, 200);
    } finally {
      await startRuntime();
    }
  });

  test('restarted: the sync plugin pushes every active deployed function back, at its deployed version', async () => {
    // Deployed at version 1, then edited to 2 (not deployed): the runtime must get version 1 back.
    const kept = await createFunction('survivor', GREETER('v1'));
    await api('POST', `/functions/${kept}/deploy`);
    await api('PATCH', `/functions/${kept}`, { code: GREETER('v2, never deployed') });
    const inactive = await createFunction('sleeper', GREETER('zzz'));
    await api('POST', `/functions/${inactive}/deploy`);
    await api('PATCH', `/functions/${inactive}`, { is_active: false });
    await createFunction('never-deployed', GREETER('nope'));

    await t.app.listen({ host: '127.0.0.1', port: 0 });
    await stopRuntime();
    await startRuntime();
    // A fresh runtime holds nothing (no check here: the plugin may already be pushing); only the plugin pushes.

    const deadline = Date.now() + 60_000;
    let result: RuntimeRunResult | null = null;
    while (!result) {
      try {
        result = await run('survivor', 1);
      } catch (err) {
        if (Date.now() > deadline) throw err;
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
    }
    assert.deepEqual(result.result, { greeting: 'v1', name: null });
    assert.deepEqual((await run('greeter', 1)).result, { greeting: 'hello', name: 'Ada' });
    assert.deepEqual((await run('fragile', 3)).result, { greeting: 'v3', name: null });
    assert.equal(await runError('sleeper', 1), 'FUNCTION_NOT_DEPLOYED', 'inactive functions are not pushed');
    assert.equal(await runError('never-deployed', 1), 'FUNCTION_NOT_DEPLOYED');
    assert.equal(await runError('no-default', 1), 'FUNCTION_NOT_DEPLOYED');
    const health = await direct!.health();
    assert.equal(health.functions, 3, JSON.stringify(health));
  });
});

describe('ensureDeployed (what the runner calls when the runtime lacks a version)', () => {
  test('pushes the deployed version (concurrent calls share one push); a never-deployed function is 404', async () => {
    // A runtime of its own, which the listening backend's sync plugin does not know: it holds nothing until pushed.
    const own = await startFunctionsRuntime({ serviceKey: SERVICE_KEY });
    const pool = createPool(t.db.pooledUrl, { max: 2 });
    const client = createRuntimeClient({ url: own.url, serviceKey: SERVICE_KEY });
    const deployer = createDeployer({ pool, runtime: client, log: { info() {}, warn() {} } });
    const runOwn = (name: string, version: number) =>
      client.run(name, { version, executionId: randomUUID(), triggerType: 'manual', payload: {} });
    try {
      const id = await createFunction('on-demand', GREETER('v1'));
      await api('POST', `/functions/${id}/deploy`);
      await api('PATCH', `/functions/${id}`, { code: GREETER('v2 pending') });
      await assert.rejects(runOwn('on-demand', 1), { code: 'FUNCTION_NOT_DEPLOYED' });
      const row = await findFunctionByName(pool, 'on-demand');
      assert.ok(row);
      const results = await Promise.all([1, 2, 3].map(() => deployer.ensureDeployed(row)));
      assert.ok(results.every((r) => r.version === 1 && r.name === 'on-demand'));
      assert.deepEqual((await runOwn('on-demand', 1)).result, { greeting: 'v1', name: null });
      assert.equal((await client.health()).functions, 1);

      const fresh = await createFunction('not-yet', GREETER('x'));
      const notDeployed = await findFunctionById(pool, fresh);
      await assert.rejects(deployer.ensureDeployed(notDeployed!), {
        statusCode: 404,
        code: 'FUNCTION_NOT_DEPLOYED',
      });
    } finally {
      await client.close();
      await pool.end();
      await own.close();
    }
  });
});
