// The durable job queue against the real functions runtime: a webhook delivery's job retried with exponential
// backoff up to its attempts, the delivery row and its webhook's counters kept true; the runtime killed mid-run (the
// attempt is recorded failed and retried once it is back, re-deployed from the database); and a backend that died
// mid-run (its lease runs out: the attempt is recorded failed and retried by another worker).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createPool, type Pool, withTransaction } from '@selfdb/common';
import { enqueueJob } from '../src/modules/functions/jobs.repository.ts';
import { call } from './helpers.ts';
import {
  deployFunction,
  type FunctionsStack,
  getFunction,
  listExecutions,
  startFunctionsStack,
  waitFor,
} from './functions-helpers.ts';

let stack: FunctionsStack;
let pool: Pool;

before(async () => {
  stack = await startFunctionsStack();
  pool = createPool(stack.db.directUrl, { max: 4 });
});
after(async () => {
  await pool?.end();
  await stack?.close();
});

interface Delivery {
  id: string;
  status: string;
  delivery_attempt: number;
  retry_count: number;
  next_retry_at: Date | null;
  processing_started_at: Date | null;
  processing_completed_at: Date | null;
  function_execution_id: string | null;
  execution_result: unknown;
  error_message: string | null;
  execution_time_ms: number | null;
  response_status_code: number | null;
}

/** A webhook of `functionId`, and a delivery queued as the public trigger does (delivery + job, one transaction). */
async function queueDelivery(functionId: string, body: unknown, maxAttempts: number): Promise<string> {
  const hook = await call(stack.app, 'POST', '/webhooks/', {
    token: stack.adminToken,
    body: { function_id: functionId, name: 'hook', secret_key: 'whsec_test', retry_attempts: maxAttempts },
  });
  assert.equal(hook.status, 201, JSON.stringify(hook.body));
  return withTransaction(pool, async (client) => {
    const { rows } = await client.query<{ id: string }>(
      `INSERT INTO webhook_deliveries (webhook_id, function_id, request_body, status, signature_valid)
       VALUES ($1, $2, $3, 'received', true) RETURNING id`,
      [hook.body.id, functionId, JSON.stringify(body)],
    );
    const deliveryId = rows[0]!.id;
    await enqueueJob(client, {
      functionId,
      triggerType: 'webhook',
      payload: body,
      webhookDeliveryId: deliveryId,
      maxAttempts,
      retryDelaySeconds: 1,
    });
    return deliveryId;
  });
}

async function delivery(id: string): Promise<Delivery> {
  const { rows } = await pool.query<Delivery>('SELECT * FROM webhook_deliveries WHERE id = $1', [id]);
  return rows[0]!;
}

async function webhookOf(deliveryId: string) {
  const { rows } = await pool.query(
    `SELECT w.* FROM webhooks w JOIN webhook_deliveries d ON d.webhook_id = w.id WHERE d.id = $1`,
    [deliveryId],
  );
  return rows[0] as {
    successful_delivery_count: number;
    failed_delivery_count: number;
    last_delivery_status: string;
  };
}

test('a delivery that succeeds: executed once, the delivery and its webhook say so', async () => {
  const fn = await deployFunction(
    stack,
    'hook-ok',
    `export default async function (request, context) {
       const body = await request.json();
       console.log('got', body.n);
       return { doubled: body.n * 2, trigger: context.triggerType, delivery: context.deliveryId };
     }`,
  );
  const deliveryId = await queueDelivery(fn.id, { n: 21 }, 3);
  const done = await waitFor('the delivery to complete', async () => {
    const row = await delivery(deliveryId);
    return row.status === 'completed' ? row : undefined;
  });
  assert.equal(done.delivery_attempt, 1);
  assert.equal(done.retry_count, 0);
  assert.deepEqual(done.execution_result, { doubled: 42, trigger: 'webhook', delivery: deliveryId });
  assert.equal(done.response_status_code, 200);
  assert.ok(done.processing_started_at && done.processing_completed_at);
  assert.equal(typeof done.execution_time_ms, 'number');
  const [execution] = await listExecutions(stack, fn.id);
  assert.equal(execution?.id, done.function_execution_id);
  assert.equal(execution?.trigger_type, 'webhook');
  assert.equal(execution?.status, 'completed');
  const hook = await webhookOf(deliveryId);
  assert.equal(hook.successful_delivery_count, 1);
  assert.equal(hook.failed_delivery_count, 0);
  assert.equal(hook.last_delivery_status, 'completed');
  const { rows } = await pool.query(
    'SELECT count(*)::int AS n FROM selfdb.function_jobs WHERE function_id = $1',
    [fn.id],
  );
  assert.equal(rows[0].n, 0, 'the finished job is gone');
});

test('a failing delivery is retried with exponential backoff up to its attempts, then failed', async () => {
  const fn = await deployFunction(
    stack,
    'hook-fails',
    `export default async function () { throw new Error('always broken'); }`,
  );
  const deliveryId = await queueDelivery(fn.id, { n: 1 }, 3);
  const pending = await waitFor('a retry to be pending', async () => {
    const row = await delivery(deliveryId);
    return row.status === 'retry_pending' ? row : undefined;
  });
  assert.ok(pending.next_retry_at);
  assert.match(String(pending.error_message), /always broken/);

  const failed = await waitFor('the delivery to fail for good', async () => {
    const row = await delivery(deliveryId);
    return row.status === 'failed' ? row : undefined;
  });
  assert.equal(failed.delivery_attempt, 3);
  assert.equal(failed.retry_count, 2);
  assert.equal(failed.next_retry_at, null);
  assert.ok(failed.processing_completed_at);

  const executions = (await listExecutions(stack, fn.id)).reverse();
  assert.equal(executions.length, 3);
  assert.ok(executions.every((e) => e.status === 'failed' && /always broken/.test(String(e.error_message))));
  // delay × 2^(attempt-1) with a delay of 1 s: about 1 s, then about 2 s between the attempts.
  const starts = executions.map((e) => Date.parse(e.started_at));
  assert.ok(starts[1]! - starts[0]! >= 900, `first retry after ${starts[1]! - starts[0]!} ms`);
  assert.ok(starts[2]! - starts[1]! >= 1900, `second retry after ${starts[2]! - starts[1]!} ms`);

  const hook = await webhookOf(deliveryId);
  assert.equal(hook.failed_delivery_count, 1);
  assert.equal(hook.successful_delivery_count, 0);
  assert.equal(hook.last_delivery_status, 'failed');
  const fnRow = await getFunction(stack, fn.id);
  assert.equal(fnRow.execution_error_count, 3);
});

test('the runtime killed mid-run: the attempt is recorded failed and retried once the runtime is back', async () => {
  const fn = await deployFunction(
    stack,
    'hook-slow',
    `export default async function (request) {
       const body = await request.json();
       await new Promise((resolve) => setTimeout(resolve, 2500));
       return { finished: body.n };
     }`,
  );
  const deliveryId = await queueDelivery(fn.id, { n: 7 }, 5);
  await waitFor('the run to start', async () =>
    (await delivery(deliveryId)).status === 'executing' ? true : undefined,
  );
  await new Promise((resolve) => setTimeout(resolve, 300));
  await stack.killRuntime();
  const killed = await waitFor('the killed attempt to be recorded', async () => {
    const row = await delivery(deliveryId);
    return row.status === 'retry_pending' ? row : undefined;
  });
  assert.match(String(killed.error_message), /runtime killed mid-run/);
  await stack.startRuntime();

  const done = await waitFor('the retry to complete', async () => {
    const row = await delivery(deliveryId);
    return row.status === 'completed' ? row : undefined;
  });
  assert.deepEqual(done.execution_result, { finished: 7 });
  assert.ok(done.retry_count >= 1);
  const executions = (await listExecutions(stack, fn.id)).reverse();
  assert.equal(executions[0]?.status, 'failed');
  assert.match(String(executions[0]?.error_message), /runtime killed mid-run/);
  assert.equal(executions.filter((e) => e.status === 'completed').length, 1);
  assert.equal(executions.at(-1)?.status, 'completed');
  assert.equal((await webhookOf(deliveryId)).successful_delivery_count, 1);
});

test('a backend that died mid-run: its lease runs out, the attempt is recorded failed and run again', async () => {
  const fn = await deployFunction(
    stack,
    'orphaned',
    `export default async function (request) { return { ok: (await request.json()).ok }; }`,
  );
  const executionId = '00000000-0000-4000-8000-00000000dead';
  // What a process that claimed the job and then died leaves behind: a 'running' execution and a held lease.
  await withTransaction(pool, async (client) => {
    await client.query(
      `INSERT INTO function_executions (id, function_id, user_id, trigger_type, status, started_at)
       SELECT $1, id, owner_id, 'event', 'running', NOW() - INTERVAL '1 minute' FROM functions WHERE id = $2`,
      [executionId, fn.id],
    );
    await client.query(
      `INSERT INTO selfdb.function_jobs (function_id, trigger_type, payload, attempts, max_attempts,
         retry_delay_seconds, locked_by, locked_until, execution_id)
       VALUES ($1, 'event', '{"ok": true}', 1, 3, 1, 'dead-process', NOW() + INTERVAL '1 second', $2)`,
      [fn.id, executionId],
    );
  });
  const executions = await waitFor('the job to run again', async () => {
    const list = await listExecutions(stack, fn.id);
    return list.some((e) => e.status === 'completed') ? list : undefined;
  });
  const orphan = executions.find((e) => e.id === executionId);
  assert.equal(orphan?.status, 'failed');
  assert.match(String(orphan?.error_message), /runtime killed mid-run \(its lease ran out\)/);
  const rerun = executions.find((e) => e.status === 'completed');
  assert.deepEqual(rerun?.result, { ok: true });
  assert.equal(executions.length, 2);
});
