// Change capture of API tables for realtime: realtime_enabled toggles the capture trigger in the same transaction as
// the registry, renames and column changes keep it right, any row size works; and the maintenance job prunes the
// outbox by age and size, once across backends.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createPool, type Pool } from '@selfdb/common';
import pg from 'pg';
import { loadConfig } from '../src/config.ts';
import { runTablesMaintenance, startTablesMaintenance } from '../src/modules/tables/maintenance.ts';
import { ADMIN, call, login, startTestApp, type TestApp, testEnv } from './helpers.ts';

let t: TestApp;
let db: pg.Client;
let token: string;

before(async () => {
  t = await startTestApp();
  db = new pg.Client({ connectionString: t.db.directUrl });
  await db.connect();
  token = (await login(t.app, ADMIN.email, ADMIN.password)).access_token;
});
after(async () => {
  await db.end();
  await t.close();
});

const changes = async (table: string) =>
  (
    await db.query(
      'SELECT operation, pk, new_row, old_row FROM realtime.changes WHERE table_name = $1 ORDER BY seq',
      [table],
    )
  ).rows;
const hasCaptureTrigger = async (table: string) =>
  (
    await db.query(
      `SELECT count(*)::int AS n FROM pg_trigger WHERE tgrelid = to_regclass('public.' || quote_ident($1)) AND tgname = 'selfdb_capture'`,
      [table],
    )
  ).rows[0].n === 1;

describe('capture follows the table', () => {
  let id: string;
  const insert = (body: unknown) => call(t.app, 'POST', `/tables/${id}/data`, { token, body });
  const patch = (body: unknown, path = '') => call(t.app, 'PATCH', `/tables/${id}${path}`, { token, body });

  before(async () => {
    const created = await call(t.app, 'POST', '/tables/', {
      token,
      body: { name: 'feed', table_schema: { body: 'text' }, public: true },
    });
    id = String(created.body.id);
  });

  test('off by default: rows make no outbox entries', async () => {
    assert.equal((await insert({ body: 'quiet' })).status, 200);
    assert.equal(await hasCaptureTrigger('feed'), false);
    assert.deepEqual(await changes('feed'), []);
  });

  test('realtime_enabled: a 100 KB row is taken without error and makes exactly one entry', async () => {
    const enabled = await patch({ realtime_enabled: true });
    assert.equal(enabled.status, 200);
    assert.equal(enabled.body.realtime_enabled, true);
    assert.equal(await hasCaptureTrigger('feed'), true);
    const big = 'x'.repeat(100_000);
    const inserted = await insert({ body: big });
    assert.equal(inserted.status, 200, JSON.stringify(inserted.body).slice(0, 200));
    const captured = await changes('feed');
    assert.equal(captured.length, 1);
    assert.equal(captured[0].operation, 'INSERT');
    assert.equal(captured[0].new_row.body.length, 100_000);
    assert.deepEqual(captured[0].pk, { id: (inserted.body.data as { id: string }).id });
  });

  test('renaming the table: the next change is captured under the new name', async () => {
    assert.equal((await patch({ name: 'stream' })).status, 200);
    await insert({ body: 'after rename' });
    const captured = await changes('stream');
    assert.equal(captured.length, 1);
    assert.equal(captured[0].new_row.body, 'after rename');
    assert.equal((await changes('feed')).length, 1, 'nothing new under the old name');
  });

  test('the primary key column cannot be renamed through the API (409), and capture keeps its key', async () => {
    const renamed = await patch({ new_name: 'uid' }, '/columns/id');
    assert.equal(renamed.status, 409);
    assert.equal(renamed.body.code, 'PROTECTED_COLUMN');
    const inserted = await insert({ body: 'same key' });
    const last = (await changes('stream')).at(-1);
    assert.deepEqual(last.pk, { id: (inserted.body.data as { id: string }).id });
  });

  test('row updates and deletes through the API are captured with old and new rows', async () => {
    const inserted = await insert({ body: 'v1' });
    const rowId = (inserted.body.data as { id: string }).id;
    await call(t.app, 'PATCH', `/tables/${id}/data/${rowId}`, { token, body: { body: 'v2' } });
    await call(t.app, 'DELETE', `/tables/${id}/data/${rowId}`, { token });
    const ops = (await changes('stream')).slice(-3);
    assert.deepEqual(
      ops.map((c) => c.operation),
      ['INSERT', 'UPDATE', 'DELETE'],
    );
    assert.equal(ops[1].old_row.body, 'v1');
    assert.equal(ops[1].new_row.body, 'v2');
  });

  test('disabling stops capture: no more entries', async () => {
    const before = (await changes('stream')).length;
    const disabled = await patch({ realtime_enabled: false });
    assert.equal(disabled.body.realtime_enabled, false);
    assert.equal(await hasCaptureTrigger('stream'), false);
    await insert({ body: 'silent' });
    await db.query(`INSERT INTO stream (body) VALUES ('silent in SQL')`);
    assert.equal((await changes('stream')).length, before);
  });

  test('a failed change leaves capture as it was (one transaction with the registry)', async () => {
    await call(t.app, 'POST', '/tables/', { token, body: { name: 'taken', table_schema: { a: 'text' } } });
    const response = await patch({ realtime_enabled: true, name: 'taken' });
    assert.equal(response.status, 409);
    assert.equal(await hasCaptureTrigger('stream'), false);
    const { rows } = await db.query('SELECT name, realtime_enabled FROM tables WHERE id = $1', [id]);
    assert.deepEqual(rows[0], { name: 'stream', realtime_enabled: false });
  });
});

describe('outbox maintenance', () => {
  let pool: Pool;
  before(() => {
    pool = createPool(t.db.pooledUrl, { max: 2 });
  });
  after(() => pool.end());

  const seed = async () => {
    await db.query('DELETE FROM realtime.changes');
    await db.query(
      `INSERT INTO realtime.changes (table_name, operation, created_at)
       SELECT 'seed', 'INSERT', now() - make_interval(hours => g) FROM generate_series(0, 9) AS g`,
    );
  };
  const left = async () =>
    (await db.query('SELECT count(*)::int AS n FROM realtime.changes')).rows[0].n as number;

  test('prunes by age, then keeps at most the newest max rows', async () => {
    await seed();
    const byAge = await runTablesMaintenance(pool, {
      retentionHours: 5,
      retentionMaxRows: 100,
      pruneIntervalSeconds: 60,
    });
    assert.equal(byAge.pruned, 5);
    assert.equal(typeof byAge.folded, 'number', 'the row-count fold ran too');
    assert.equal(await left(), 5);
    const result = await runTablesMaintenance(pool, {
      retentionHours: 100,
      retentionMaxRows: 2,
      pruneIntervalSeconds: 60,
    });
    assert.equal(result.pruned, 3);
    assert.equal(await left(), 2);
  });

  test('single-flight: while another backend holds the lock, a pass skips and deletes nothing', async () => {
    await seed();
    const other = await pool.connect();
    try {
      await other.query('BEGIN');
      await other.query('SELECT pg_advisory_xact_lock(7302150402)');
      await other.query('SELECT pg_advisory_xact_lock(selfdb.row_count_lock_key())');
      const result = await runTablesMaintenance(pool, {
        retentionHours: 1,
        retentionMaxRows: 1,
        pruneIntervalSeconds: 60,
      });
      assert.deepEqual(result, { pruned: null, folded: null });
      assert.equal(await left(), 10);
    } finally {
      await other.query('ROLLBACK');
      other.release();
    }
    const after = await runTablesMaintenance(pool, {
      retentionHours: 1,
      retentionMaxRows: 100,
      pruneIntervalSeconds: 60,
    });
    assert.equal(after.pruned, 9);
  });

  test('the server job runs every REALTIME_PRUNE_INTERVAL_SECONDS and stops cleanly', async () => {
    await seed();
    const config = loadConfig(
      testEnv(t.db, { REALTIME_PRUNE_INTERVAL_SECONDS: '1', REALTIME_RETENTION_HOURS: '1' }),
    );
    const logs: unknown[] = [];
    const log = {
      info: (...args: unknown[]) => logs.push(args),
      warn: (...args: unknown[]) => logs.push(args),
    };
    const job = startTablesMaintenance(config, log as never);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    await job.stop();
    assert.equal(await left(), 1);
    assert.equal(logs.length, 1, JSON.stringify(logs));
    const off = startTablesMaintenance(
      loadConfig(testEnv(t.db, { REALTIME_PRUNE_INTERVAL_SECONDS: '0' })),
      log as never,
    );
    await off.stop();
  });
});
