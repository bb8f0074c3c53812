// Schedule, database, event and `once` triggers against the real functions runtime, with two backend processes
// on one database: each schedule tick runs once, each table change runs its functions exactly once (across a
// runtime restart and a backend restart), event chains stop at depth 8 and say so, and `once` runs once per
// deployed version.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createPool, type Pool } from '@selfdb/common';
import type { FastifyInstance } from 'fastify';
import { call, registerUser } from './helpers.ts';
import {
  deployFunction,
  type FunctionsStack,
  listExecutions,
  listLogs,
  sleep,
  startFunctionsStack,
  startSecondBackend,
  waitFor,
} from './functions-helpers.ts';

let stack: FunctionsStack;
let second: FastifyInstance | null = null;
let pool: Pool;

before(async () => {
  stack = await startFunctionsStack();
  second = await startSecondBackend(stack);
  pool = createPool(stack.db.directUrl, { max: 4 });
});
after(async () => {
  await second?.close();
  await pool?.end();
  await stack?.close();
});

async function createTable(name: string, realtime: boolean): Promise<string> {
  const response = await call(stack.app, 'POST', '/tables/', {
    token: stack.adminToken,
    body: {
      name,
      public: false,
      table_schema: { label: { type: 'text', nullable: true }, n: { type: 'integer', nullable: true } },
    },
  });
  assert.equal(response.status, 201, JSON.stringify(response.body));
  const id = String(response.body.id);
  if (realtime) {
    const patched = await call(stack.app, 'PATCH', `/tables/${id}`, {
      token: stack.adminToken,
      body: { realtime_enabled: true },
    });
    assert.equal(patched.status, 200, JSON.stringify(patched.body));
  }
  return id;
}

const ROW_RECORDER = (table: string) => `
export const triggers = [{ type: 'database', table: '${table}', operations: ['INSERT', 'UPDATE'] }];
export default async function (request, context) {
  const change = await request.json();
  return { trigger: context.triggerType, ...change };
}`;

type Change = {
  trigger: string;
  operation: string;
  table: string;
  data: Record<string, unknown> | null;
  old_data: Record<string, unknown> | null;
};

async function completedChanges(functionId: string): Promise<Change[]> {
  const executions = await listExecutions(stack, functionId);
  return executions.filter((e) => e.status === 'completed').map((e) => e.result as Change);
}

test('a schedule tick runs once across two backend processes (single-flight)', async () => {
  const fn = await deployFunction(
    stack,
    'every-minute',
    `export const triggers = [{ type: 'schedule', cron: '* * * * *', name: 'minutely' }];
     export default async function (request) { return await request.json(); }`,
  );
  // Both processes fire the same tick at the same time, many times over: one claim, one job.
  const tick = new Date(Date.UTC(2026, 0, 1, 12, 0, 0));
  const target = {
    id: fn.id,
    name: fn.name,
    deployed_version: 1,
    triggers: [{ type: 'schedule' as const, cron: '* * * * *' }],
    version_created_at: new Date(),
  };
  const trigger = { cron: '* * * * *', name: 'minutely' };
  await Promise.all(
    [stack.app, second!, stack.app, second!].map((app) =>
      app.functionTriggers.schedules.runTick(target, 0, trigger, new Date(tick.getTime() + 250)),
    ),
  );
  // And node-cron's own minute ticks, fired by both processes.
  const runs = await waitFor(
    'two runs (a forced tick and a minute tick)',
    async () => {
      const list = (await listExecutions(stack, fn.id)).filter((e) => e.status === 'completed');
      return list.length >= 2 ? list : undefined;
    },
    90_000,
  );
  await sleep(1500);
  const settled = (await listExecutions(stack, fn.id)).filter((e) => e.status === 'completed');
  const ticks = settled.map((e) => (e.result as { scheduled_for: string }).scheduled_for);
  assert.equal(new Set(ticks).size, ticks.length, `a tick ran twice: ${ticks.join(', ')}`);
  assert.ok(ticks.includes(tick.toISOString()));
  assert.ok(runs.every((e) => e.trigger_type === 'schedule'));
  assert.equal((runs[0]!.result as { name: string }).name, 'minutely');
  const { rows } = await pool.query(
    `SELECT scheduled_for, count(*)::int AS claims FROM selfdb.function_trigger_runs
     WHERE function_id = $1 GROUP BY scheduled_for`,
    [fn.id],
  );
  assert.equal(rows.length, ticks.length);
  assert.ok(rows.every((row) => row.claims === 1));
  assert.ok(ticks.every((t) => new Date(t).getUTCSeconds() === 0));
});

test('a five-field tick is claimed per minute, a six-field one per second', async () => {
  const { tickOf } = await import('../src/modules/functions/schedules.ts');
  const at = new Date('2026-01-01T10:15:42.123Z');
  assert.equal(tickOf('*/5 * * * *', at).toISOString(), '2026-01-01T10:15:00.000Z');
  assert.equal(tickOf('*/2 * * * * *', at).toISOString(), '2026-01-01T10:15:42.000Z');
});

test('each table change runs its function exactly once, with 0.0.5’s payload, realtime on or off', async () => {
  await createTable('orders', false);
  const fn = await deployFunction(stack, 'on-orders', ROW_RECORDER('orders'));
  // The trigger registry turns capture on for the table (realtime stays off): wait until it has.
  await waitFor('capture on orders', async () => {
    const { rows } = await pool.query(
      `SELECT 1 FROM pg_trigger WHERE tgrelid = 'public.orders'::regclass AND tgname = 'selfdb_capture'`,
    );
    return rows.length === 1 ? true : undefined;
  });
  await pool.query(`INSERT INTO orders (label, n) VALUES ('a', 1), ('b', 2)`);
  await pool.query(`UPDATE orders SET n = 10 WHERE label = 'a'`);
  await pool.query(`DELETE FROM orders WHERE label = 'b'`); // not among the trigger's operations

  const changes = await waitFor('three runs', async () => {
    const list = await completedChanges(fn.id);
    return list.length >= 3 ? list : undefined;
  });
  await sleep(1500);
  const settled = await completedChanges(fn.id);
  assert.equal(settled.length, 3, 'no change ran twice and the DELETE ran nothing');
  const update = changes.find((c) => c.operation === 'UPDATE')!;
  assert.equal(update.table, 'orders');
  assert.equal(update.trigger, 'database');
  assert.equal(update.data?.n, 10);
  assert.equal(update.old_data?.n, 1);
  const insert = changes.find((c) => c.operation === 'INSERT')!;
  assert.equal(insert.old_data, null);

  // The realtime toggle on then off (through the API) never stops the function's trigger.
  const { rows } = await pool.query<{ id: string }>(`SELECT id FROM tables WHERE name = 'orders'`);
  const tableId = rows[0]!.id;
  for (const realtime of [true, false]) {
    const patched = await call(stack.app, 'PATCH', `/tables/${tableId}`, {
      token: stack.adminToken,
      body: { realtime_enabled: realtime },
    });
    assert.equal(patched.status, 200, JSON.stringify(patched.body));
  }
  await pool.query(`INSERT INTO orders (label, n) VALUES ('after toggle', 3)`);
  await waitFor('the run after the toggle', async () =>
    (await completedChanges(fn.id)).some((c) => c.data?.label === 'after toggle') ? true : undefined,
  );

  // No function listens any more and realtime is off: capture is released.
  await call(stack.app, 'PATCH', `/functions/${fn.id}`, {
    token: stack.adminToken,
    body: { is_active: false },
  });
  await waitFor('capture on orders to be released', async () => {
    const { rows } = await pool.query(
      `SELECT 1 FROM pg_trigger WHERE tgrelid = 'public.orders'::regclass AND tgname = 'selfdb_capture'`,
    );
    return rows.length === 0 ? true : undefined;
  });
});

test('database triggers: exactly once across a runtime restart and a backend restart', async () => {
  await createTable('ledger', true);
  const fn = await deployFunction(stack, 'on-ledger', ROW_RECORDER('ledger'));
  await sleep(2500);
  const labels: string[] = [];
  const insert = async (label: string) => {
    labels.push(label);
    await pool.query(`INSERT INTO ledger (label) VALUES ($1)`, [label]);
  };
  for (let i = 0; i < 5; i++) await insert(`before-${i}`);
  await stack.killRuntime();
  for (let i = 0; i < 5; i++) await insert(`runtime-down-${i}`);
  await sleep(500);
  await stack.startRuntime();
  for (let i = 0; i < 5; i++) await insert(`runtime-back-${i}`);
  // The second backend goes away and comes back while changes keep coming.
  await second?.close();
  second = null;
  for (let i = 0; i < 5; i++) await insert(`backend-down-${i}`);
  second = await startSecondBackend(stack);
  for (let i = 0; i < 5; i++) await insert(`backend-back-${i}`);

  const seen = await waitFor(
    'every change to run',
    async () => {
      const list = (await completedChanges(fn.id)).map((c) => String(c.data?.label));
      return list.length >= labels.length ? list : undefined;
    },
    60_000,
  );
  await sleep(2000);
  const settled = (await completedChanges(fn.id)).map((c) => String(c.data?.label));
  assert.equal(settled.length, labels.length, `ran: ${seen.length}`);
  assert.deepEqual([...settled].sort(), [...labels].sort());
});

test('events: sent by the API and by functions, chains stop at depth 8 and the stop is recorded', async () => {
  const fn = await deployFunction(
    stack,
    'chain',
    `export const triggers = [{ type: 'event', event: 'chain' }];
     export default async function (request, context) {
       const { data } = await request.json();
       context.emit('chain', { n: data.n + 1 });
       return { n: data.n };
     }`,
  );
  const user = await registerUser(stack.app, 'eventer@example.com');
  const refused = await call(stack.app, 'POST', '/functions/events', {
    token: user.access_token,
    body: { event: 'chain', data: { n: 1 } },
  });
  assert.equal(refused.status, 403);
  const bad = await call(stack.app, 'POST', '/functions/events', {
    token: stack.adminToken,
    body: { data: 1 },
  });
  assert.ok(bad.status === 422 || bad.status === 400);

  const sent = await call(stack.app, 'POST', '/functions/events', {
    token: stack.adminToken,
    body: { event: 'chain', data: { n: 1 } },
  });
  assert.equal(sent.status, 202);
  assert.deepEqual(sent.body, { event: 'chain', queued: 1 });
  const runs = await waitFor('eight runs', async () => {
    const list = (await listExecutions(stack, fn.id)).filter((e) => e.status === 'completed');
    return list.length >= 8 ? list : undefined;
  });
  await sleep(2000);
  const settled = (await listExecutions(stack, fn.id)).filter((e) => e.status === 'completed');
  assert.equal(settled.length, 8);
  assert.deepEqual(
    settled.map((e) => (e.result as { n: number }).n).sort((a, b) => a - b),
    [1, 2, 3, 4, 5, 6, 7, 8],
  );
  assert.ok(runs.every((e) => e.trigger_type === 'event'));
  const last = settled.find((e) => (e.result as { n: number }).n === 8)!;
  const logs = (await listLogs(stack, fn.id, 'warn')).filter((l) => l.execution_id === last.id);
  assert.match(logs[0]?.message ?? '', /event "chain" not delivered: emit chain deeper than 8/);

  const nobody = await call(stack.app, 'POST', '/functions/events', {
    token: stack.adminToken,
    body: { event: 'nobody-listens' },
  });
  assert.deepEqual(nobody.body, { event: 'nobody-listens', queued: 0 });
});

test('once triggers and runOnce run once per deployed version, across two processes', async () => {
  const code = (v: number) => `export const runOnce = true;
     export default async function (request, context) { return { version: ${v}, trigger: context.triggerType }; }`;
  const fn = await deployFunction(stack, 'setup', code(1));
  await waitFor('the first once run', async () =>
    (await listExecutions(stack, fn.id)).length >= 1 ? true : undefined,
  );
  await sleep(5000); // both processes re-read the triggers at least twice
  const first = await listExecutions(stack, fn.id);
  assert.equal(first.length, 1);
  assert.equal(first[0]!.trigger_type, 'manual');
  assert.deepEqual(first[0]!.result, { version: 1, trigger: 'manual' });

  const updated = await call(stack.app, 'PATCH', `/functions/${fn.id}`, {
    token: stack.adminToken,
    body: { code: code(2) },
  });
  assert.equal(updated.status, 200);
  const redeployed = await call(stack.app, 'POST', `/functions/${fn.id}/deploy`, { token: stack.adminToken });
  assert.equal(redeployed.body.deployment_status, 'deployed');
  await waitFor('the second version’s once run', async () =>
    (await listExecutions(stack, fn.id)).length >= 2 ? true : undefined,
  );
  await sleep(5000);
  const all = await listExecutions(stack, fn.id);
  assert.equal(all.length, 2);
  assert.deepEqual(all[0]!.result, { version: 2, trigger: 'manual' });

  const declared = await deployFunction(
    stack,
    'declared-once',
    `export const triggers = [{ type: 'once' }]; export default async () => ({ once: true });`,
  );
  await waitFor('the declared once run', async () =>
    (await listExecutions(stack, declared.id)).length >= 1 ? true : undefined,
  );
  await sleep(4000);
  assert.equal((await listExecutions(stack, declared.id)).length, 1);
});
