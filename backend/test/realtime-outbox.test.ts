// Change capture into realtime.changes: one outbox row per committed change, NOTIFY with only its sequence number,
// no secrets, any row size.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import pg from 'pg';
import { createTestDatabase, type TestDatabase } from './helpers.ts';

let db: TestDatabase;
let client: pg.Client;
before(async () => {
  db = await createTestDatabase();
  client = new pg.Client({ connectionString: db.directUrl });
  await client.connect();
});
after(() => client.end());

const changes = async (table: string) =>
  (await client.query(`SELECT * FROM realtime.changes WHERE table_name = $1 ORDER BY seq`, [table])).rows;

test('users are captured without the password hash, and NOTIFY carries only the sequence number', async () => {
  const listener = new pg.Client({ connectionString: db.directUrl });
  await listener.connect();
  const payloads: string[] = [];
  listener.on('notification', (message) => payloads.push(message.payload ?? ''));
  await listener.query('LISTEN selfdb_changes');
  try {
    const { rows } = await client.query(
      `INSERT INTO users (email, password, first_name, last_name) VALUES ('cap@example.com', 'secret-hash', 'C', 'P') RETURNING id`,
    );
    await client.query(`UPDATE users SET first_name = 'D' WHERE id = $1`, [rows[0].id]);
    await client.query(`DELETE FROM users WHERE id = $1`, [rows[0].id]);
    const captured = await changes('users');
    assert.deepEqual(
      captured.map((c) => c.operation),
      ['INSERT', 'UPDATE', 'DELETE'],
    );
    assert.deepEqual(captured[0].pk, { id: rows[0].id });
    assert.equal(captured[1].old_row.first_name, 'C');
    assert.equal(captured[1].new_row.first_name, 'D');
    assert.equal(captured[2].new_row, null);
    for (const change of captured) {
      assert.equal(JSON.stringify(change).includes('secret-hash'), false);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.deepEqual(
      payloads,
      captured.map((c) => String(c.seq)),
    );
  } finally {
    await listener.end();
  }
});

test('a rolled-back change leaves no outbox row', async () => {
  const before = (await changes('users')).length;
  await client.query('BEGIN');
  await client.query(
    `INSERT INTO users (email, password, first_name, last_name) VALUES ('gone@example.com', 'x', 'G', 'O')`,
  );
  await client.query('ROLLBACK');
  assert.equal((await changes('users')).length, before);
});

test('a captured user table takes a 100 KB row: one outbox entry; renaming keeps capture; disabling stops it', async () => {
  await client.query('CREATE TABLE big (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), body text)');
  await client.query(`SELECT realtime.enable_capture('public.big')`);
  await client.query(`INSERT INTO big (body) VALUES (repeat('x', 100000))`);
  const captured = await changes('big');
  assert.equal(captured.length, 1);
  assert.equal(captured[0].new_row.body.length, 100000);
  await client.query('ALTER TABLE big RENAME TO bigger');
  await client.query(`INSERT INTO bigger (body) VALUES ('renamed')`);
  assert.equal((await changes('bigger')).length, 1);
  await client.query(`SELECT realtime.disable_capture('public.bigger')`);
  await client.query(`INSERT INTO bigger (body) VALUES ('quiet')`);
  assert.equal((await changes('bigger')).length, 1);
});

test('prune_changes drops old rows and keeps at most max_rows', async () => {
  await client.query(
    `UPDATE realtime.changes SET created_at = NOW() - INTERVAL '2 days' WHERE table_name = 'big'`,
  );
  const total = Number((await client.query('SELECT count(*) FROM realtime.changes')).rows[0].count);
  const deleted = Number(
    (await client.query(`SELECT realtime.prune_changes(INTERVAL '1 day', 1000000)`)).rows[0].prune_changes,
  );
  assert.equal(deleted, 1);
  await client.query(`SELECT realtime.prune_changes(INTERVAL '1 day', 2)`);
  const left = (await client.query('SELECT seq FROM realtime.changes ORDER BY seq')).rows;
  assert.equal(left.length, 2);
  assert.ok(total > 2);
});
