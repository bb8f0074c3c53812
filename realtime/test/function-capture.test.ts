// Change capture turned on for a function's database trigger (migration 0037) never shows a realtime subscriber a
// table whose realtime is off: its changes are captured unbroadcast, neither delivered live nor replayed on a
// resume; turning realtime on broadcasts from then on; turning it off again keeps capture (the function still
// needs it) but stops broadcast. Without a function listening, turning realtime off drops capture as before.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type pg from 'pg';
import {
  connectSql,
  createTestDatabase,
  createUser,
  RawClient,
  sleep,
  socketUrl,
  startRealtime,
  type TestDatabase,
  type TestRealtime,
  type TestUser,
} from './helpers.ts';

let db: TestDatabase;
let realtime: TestRealtime;
let sql: pg.Client;
let admin: TestUser;
let owner: TestUser;
const open: RawClient[] = [];

async function client(token: string): Promise<RawClient> {
  const c = await RawClient.open(socketUrl(realtime.base, { token }));
  open.push(c);
  return c;
}

const captured = async (table: string) =>
  (
    await sql.query(
      `SELECT 1 FROM pg_trigger WHERE tgrelid = to_regclass($1) AND tgname = 'selfdb_capture'`,
      [`public.${table}`],
    )
  ).rows.length === 1;

/** A deployed function with a database trigger on `table`, as the functions API leaves it after a deploy. */
async function functionOn(name: string, table: string): Promise<string> {
  const { rows } = await sql.query<{ id: string }>(
    `INSERT INTO functions (name, code, owner_id, deployment_status, deployed_version, triggers)
     VALUES ($1, 'export default async () => 1;', $2, 'deployed', 1, $3::jsonb) RETURNING id`,
    [name, admin.id, JSON.stringify([{ type: 'database', table, operations: ['INSERT', 'UPDATE'] }])],
  );
  return rows[0]!.id;
}

before(async () => {
  db = await createTestDatabase();
  sql = await connectSql(db);
  admin = await createUser(sql, 'ADMIN');
  owner = await createUser(sql, 'USER');
  for (const name of ['quiet', 'plain']) {
    await sql.query(`CREATE TABLE ${name} (id serial PRIMARY KEY, label text)`);
    await sql.query(
      `INSERT INTO tables (name, table_schema, public, owner_id, realtime_enabled) VALUES ($1, '{}', true, $2, false)`,
      [name, owner.id],
    );
  }
  realtime = await startRealtime(db);
});

after(async () => {
  for (const c of open) c.close();
  await realtime?.close();
  await sql?.end();
});

test('capture for a function on a realtime-off table is never sent or replayed; the toggle rules broadcast', async () => {
  await functionOn('quiet-listener', 'quiet');
  const armed = await sql.query<{ armed: boolean }>(
    `SELECT realtime.capture_for_functions(to_regclass('public.quiet')) AS armed`,
  );
  assert.equal(armed.rows[0]!.armed, true);
  const start = Number(
    (await sql.query('SELECT COALESCE(max(seq), 0) AS m FROM realtime.changes')).rows[0].m,
  );

  const live = await client(owner.token);
  assert.equal((await live.join('table:quiet')).payload.status, 'ok');
  const adminLive = await client(admin.token);
  assert.equal((await adminLive.join('table:quiet')).payload.status, 'ok');

  await sql.query(`INSERT INTO quiet (label) VALUES ('a'), ('b')`);
  await sql.query(`UPDATE quiet SET label = 'c' WHERE label = 'a'`);
  const hidden = await sql.query<{ broadcast: boolean }>(
    `SELECT broadcast FROM realtime.changes WHERE table_name = 'quiet' AND seq > $1`,
    [start],
  );
  assert.equal(hidden.rows.length, 3, 'the function gets its changes');
  assert.ok(hidden.rows.every((row) => row.broadcast === false));

  // A later change of another broadcast table proves the feed went past the hidden ones.
  await sql.query(`UPDATE tables SET realtime_enabled = true WHERE name = 'plain'`);
  await sql.query(`SELECT realtime.enable_capture(to_regclass('public.plain'))`);
  const witness = await client(owner.token);
  assert.equal((await witness.join('table:plain')).payload.status, 'ok');
  await sql.query(`INSERT INTO plain (label) VALUES ('seen')`);
  await witness.waitForChanges('table:plain', 1);
  await sleep(300);
  assert.equal(live.changes('table:quiet').length, 0);
  assert.equal(adminLive.changes('table:quiet').length, 0);

  // A resume from before the hidden changes replays none of them.
  const resumer = await client(owner.token);
  const resumed = await resumer.join('table:quiet', { last_seq: start });
  assert.equal(resumed.payload.status, 'ok');
  await sleep(300);
  assert.equal(resumer.changes('table:quiet').length, 0);

  // Realtime on: broadcast from now on, to a fresh join.
  await sql.query(`UPDATE tables SET realtime_enabled = true WHERE name = 'quiet'`);
  await sql.query(`SELECT realtime.enable_capture(to_regclass('public.quiet'))`);
  const after = await client(owner.token);
  assert.equal((await after.join('table:quiet')).payload.status, 'ok');
  await sql.query(`INSERT INTO quiet (label) VALUES ('public now')`);
  const [change] = await after.waitForChanges('table:quiet', 1);
  assert.equal(
    (change!.payload as { record?: { label?: string } }).record?.label ?? 'public now',
    'public now',
  );

  // Realtime off again: capture stays (the function listens), broadcast stops.
  await sql.query(`UPDATE tables SET realtime_enabled = false WHERE name = 'quiet'`);
  await sql.query(`SELECT realtime.disable_capture(to_regclass('public.quiet'))`);
  assert.equal(await captured('quiet'), true);
  const before = after.changes('table:quiet').length;
  await sql.query(`INSERT INTO quiet (label) VALUES ('quiet again')`);
  const last = await sql.query<{ broadcast: boolean }>(
    `SELECT broadcast FROM realtime.changes WHERE table_name = 'quiet' ORDER BY seq DESC LIMIT 1`,
  );
  assert.equal(last.rows[0]!.broadcast, false);
  await sql.query(`INSERT INTO plain (label) VALUES ('seen again')`);
  await witness.waitForChanges('table:plain', 2);
  await sleep(300);
  assert.equal(after.changes('table:quiet').length, before);
});

test('without a function listening, realtime off drops capture as before', async () => {
  assert.equal(await captured('plain'), true);
  await sql.query(`UPDATE tables SET realtime_enabled = false WHERE name = 'plain'`);
  await sql.query(`SELECT realtime.disable_capture(to_regclass('public.plain'))`);
  assert.equal(await captured('plain'), false);
});
