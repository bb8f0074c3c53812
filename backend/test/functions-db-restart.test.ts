// Database triggers across a Postgres restart: while rows are written without pause, Postgres is stopped (fast
// shutdown) and started again; afterwards every row that is in the table ran the function exactly once. Runs on a
// Postgres of its own (scripts/lib/test-stack.ts), so it can restart it without disturbing other suites.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { DB_ROLES } from '@selfdb/common';
import pg from 'pg';
import { startTestStack, TEST_DB_PASSWORD, type TestStack } from '../../scripts/lib/test-stack.ts';
import { call } from './helpers.ts';
import {
  deployFunction,
  type FunctionsStack,
  sleep,
  startFunctionsStack,
  waitFor,
} from './functions-helpers.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
let pgStack: TestStack;
let stack: FunctionsStack;

before(async () => {
  pgStack = await startTestStack(root);
  const admin = new pg.Client({ connectionString: pgStack.directUrl('postgres') });
  await admin.connect();
  await admin.query('CREATE DATABASE restarts');
  await admin.end();
  stack = await startFunctionsStack(
    {},
    {
      name: 'restarts',
      directUrl: pgStack.directUrl('restarts'),
      pooledUrl: `postgresql://${DB_ROLES.app}:${TEST_DB_PASSWORD}@127.0.0.1:${pgStack.pgbouncerPort}/restarts`,
    },
  );
});

after(async () => {
  await stack?.close();
  await pgStack?.stop();
});

/** Runs `query` on a fresh connection (the test's own connections die with Postgres); null when it failed. */
async function attempt<T extends pg.QueryResultRow>(text: string, values: unknown[] = []) {
  const client = new pg.Client({ connectionString: pgStack.directUrl('restarts') });
  client.on('error', () => {});
  try {
    await client.connect();
    return await client.query<T>(text, values);
  } catch {
    return null;
  } finally {
    await client.end().catch(() => {});
  }
}

test('each change runs its function exactly once across a Postgres restart', async () => {
  const table = await call(stack.app, 'POST', '/tables/', {
    token: stack.adminToken,
    body: { name: 'stream', public: false, table_schema: { label: { type: 'text', nullable: true } } },
  });
  assert.equal(table.status, 201, JSON.stringify(table.body));
  const fn = await deployFunction(
    stack,
    'on-stream',
    `export const triggers = [{ type: 'database', table: 'stream', operations: ['INSERT'] }];
     export default async function (request) { return (await request.json()).data; }`,
  );
  await waitFor('capture on stream', async () => {
    const found = await attempt(
      `SELECT 1 FROM pg_trigger WHERE tgrelid = 'public.stream'::regclass AND tgname = 'selfdb_capture'`,
    );
    return found?.rows.length === 1 ? true : undefined;
  });

  let stop = false;
  let written = 0;
  const writer = (async () => {
    for (let i = 0; !stop; i++) {
      if (await attempt('INSERT INTO stream (label) VALUES ($1)', [`row-${i}`])) written++;
      await sleep(20);
    }
  })();
  await waitFor('some rows before the restart', async () => (written >= 20 ? true : undefined));
  await pgStack.restartPostgres('SIGINT');
  const afterRestart = written;
  await waitFor(
    'rows after the restart',
    async () => (written >= afterRestart + 20 ? true : undefined),
    60_000,
  );
  stop = true;
  await writer;

  const labels = (await attempt<{ label: string }>('SELECT label FROM stream'))!.rows.map((r) => r.label);
  assert.ok(labels.length >= 40);
  const counts = await waitFor(
    'every row to run',
    async () => {
      const result = await attempt<{ label: string; n: number }>(
        `SELECT result->>'label' AS label, count(*)::int AS n FROM function_executions
         WHERE function_id = $1 AND status = 'completed' GROUP BY 1`,
        [fn.id],
      );
      return result && result.rows.length >= labels.length ? result.rows : undefined;
    },
    90_000,
  );
  await sleep(2000);
  const settled = (await attempt<{ label: string; n: number }>(
    `SELECT result->>'label' AS label, count(*)::int AS n FROM function_executions
     WHERE function_id = $1 AND status = 'completed' GROUP BY 1`,
    [fn.id],
  ))!.rows;
  assert.ok(counts.length > 0);
  assert.deepEqual(settled.map((r) => r.label).sort(), [...labels].sort());
  assert.ok(
    settled.every((r) => r.n === 1),
    `ran more than once: ${settled.filter((r) => r.n > 1).map((r) => r.label)}`,
  );
});
