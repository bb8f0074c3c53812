// Replay follows a table's identity, not its name (migration 0031): a private table dropped or renamed away, a table
// renamed into a name, a private table made public, a table given to another owner. Rows captured while the table
// was something the joiner could not see are never sent to them, replayed or live; a last_seq from before such a
// boundary answers resync_required. Through SQL (as the SQL console and psql change things) and through the API.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type pg from 'pg';
import { ADMIN, call, login, registerUser } from '../../backend/test/helpers.ts';
import {
  connectSql,
  createTable,
  createTestDatabase,
  createUser,
  type Frame,
  RawClient,
  sleep,
  socketUrl,
  startBackendWithRealtime,
  startRealtime,
  type TestDatabase,
  type TestRealtime,
  type TestUser,
  waitUntil,
} from './helpers.ts';

let db: TestDatabase;
let realtime: TestRealtime;
let sql: pg.Client;
let owner: TestUser;
let other: TestUser;
const open: RawClient[] = [];

before(async () => {
  db = await createTestDatabase();
  sql = await connectSql(db);
  owner = await createUser(sql, 'USER');
  other = await createUser(sql, 'USER');
  realtime = await startRealtime(db);
});

after(async () => {
  for (const client of open) client.close();
  await realtime?.close();
  await sql?.end();
});

async function connect(token?: string, base = realtime.base, path?: string): Promise<RawClient> {
  const client = await RawClient.open(socketUrl(base, { token }, path));
  open.push(client);
  return client;
}

/** Frames carrying a row whose label says it was written while the joiner could not read the table. */
const secretsIn = (frames: Frame[]) =>
  frames.filter((f) => /"label":"secret/.test(JSON.stringify([f.payload.new, f.payload.old])));

async function insertSecrets(table: string, count = 3): Promise<number[]> {
  await sql.query(`INSERT INTO "${table}" (label) SELECT 'secret ' || i FROM generate_series(1, $1) AS i`, [
    count,
  ]);
  await sql.query(`UPDATE "${table}" SET label = label || ' (edited)' WHERE label = 'secret 1'`);
  await sql.query(`DELETE FROM "${table}" WHERE label = 'secret 2'`);
  const { rows } = await sql.query<{ seq: number }>(
    'SELECT seq FROM realtime.changes WHERE table_name = $1 ORDER BY seq',
    [table],
  );
  return rows.map((row) => Number(row.seq));
}

/** Drops a table with its registry row, as the API and the SQL console's registry sync do. */
async function dropTable(name: string): Promise<void> {
  await sql.query('BEGIN');
  await sql.query('DELETE FROM tables WHERE name = $1', [name]);
  await sql.query(`DROP TABLE "${name}"`);
  await sql.query('COMMIT');
}

/** Renames a table with its registry row, as the API does (PATCH /tables/{id} with a name). */
async function renameTable(from: string, to: string): Promise<void> {
  await sql.query('BEGIN');
  await sql.query(`ALTER TABLE "${from}" RENAME TO "${to}"`);
  await sql.query('UPDATE tables SET name = $2 WHERE name = $1', [from, to]);
  await sql.query('COMMIT');
}

async function epochOf(table: string): Promise<number> {
  const { rows } = await sql.query<{ since_seq: number }>(
    'SELECT e.since_seq FROM realtime.table_epochs e JOIN tables t ON t.id = e.table_id WHERE t.name = $1',
    [table],
  );
  return Number(rows[0]!.since_seq);
}

/** Joins with `last_seq` and expects resync_required: live from at least the table's epoch, nothing replayed. */
async function expectResync(client: RawClient, topic: string, lastSeq: number): Promise<number> {
  const reply = await client.join(topic, { last_seq: lastSeq });
  assert.equal(reply.payload.status, 'ok', JSON.stringify(reply.payload));
  const response = reply.payload.response as { last_seq: number; resync_required?: boolean };
  assert.equal(
    response.resync_required,
    true,
    `last_seq ${lastSeq} on ${topic}: ${JSON.stringify(response)}`,
  );
  assert.ok(response.last_seq >= (await epochOf(topic.slice('table:'.length))));
  return response.last_seq;
}

describe('replay follows the table, not its name', () => {
  test('dropped and made again: the private table’s changes never reach the new public one', async () => {
    await createTable(sql, 'vault', owner, { public: false });
    const ownerClient = await connect(owner.token);
    await ownerClient.join('table:vault');
    const secretSeqs = await insertSecrets('vault');
    await ownerClient.waitForChanges('table:vault', secretSeqs.length);
    await dropTable('vault');
    const ended = await ownerClient.waitFor((f) => f.event === 'phx_close' && f.topic === 'table:vault');
    assert.equal(ended.payload.code, 'NOT_FOUND');

    await createTable(sql, 'vault', other, { public: true });
    const anonymous = await connect();
    // Every last_seq from before the new table: 0, inside the old table's changes, just before the new one.
    for (const lastSeq of [0, secretSeqs[0]! - 1, secretSeqs[1]!, secretSeqs.at(-1)!]) {
      await expectResync(anonymous, 'table:vault', lastSeq);
    }
    // Within the new table's epoch, replay works as before: exactly its own changes.
    const start = await expectResync(anonymous, 'table:vault', 0);
    await sql.query(`INSERT INTO vault (label) VALUES ('public 1'), ('public 2')`);
    await anonymous.waitForChanges('table:vault', 2);
    const later = await connect();
    const resumed = await later.join('table:vault', { last_seq: start });
    assert.deepEqual(resumed.payload.response, { last_seq: start, realtime_enabled: true });
    const replayed = await later.waitForChanges('table:vault', 2);
    assert.deepEqual(
      replayed.map((f) => (f.payload.new as { label: string }).label),
      ['public 1', 'public 2'],
    );
    await sleep(200);
    assert.deepEqual(secretsIn([...anonymous.frames, ...later.frames]), []);
    assert.deepEqual(
      (await sql.query(`SELECT count(*)::int AS n FROM realtime.changes WHERE table_name = 'vault'`)).rows[0]
        .n,
      secretSeqs.length + 2,
      'the old changes are still in the outbox, under the old table’s id',
    );
  });

  test('renamed away: the new table of the name replays nothing of it; the renamed topic resyncs', async () => {
    await createTable(sql, 'ledger', owner, { public: false });
    const live = await connect(owner.token);
    await live.join('table:ledger');
    const secretSeqs = await insertSecrets('ledger');
    await live.waitForChanges('table:ledger', secretSeqs.length);
    await renameTable('ledger', 'ledger_old');
    const ended = await live.waitFor((f) => f.event === 'phx_close' && f.topic === 'table:ledger');
    assert.match(String(ended.payload.reason), /renamed/);

    await createTable(sql, 'ledger', other, { public: true });
    const anonymous = await connect();
    for (const lastSeq of [0, secretSeqs[0]! - 1, secretSeqs.at(-1)!]) {
      await expectResync(anonymous, 'table:ledger', lastSeq);
    }
    // The owner follows the renamed table under its new topic: a client that knew it by the old name must refetch.
    const ownerClient = await connect(owner.token);
    await expectResync(ownerClient, 'table:ledger_old', secretSeqs[0]! - 1);
    await sql.query(`INSERT INTO ledger_old (label) VALUES ('secret 4')`);
    await sql.query(`INSERT INTO ledger (label) VALUES ('public')`);
    const [mine] = await ownerClient.waitForChanges('table:ledger_old', 1);
    assert.equal((mine!.payload.new as { label: string }).label, 'secret 4');
    const [theirs] = await anonymous.waitForChanges('table:ledger', 1);
    assert.equal((theirs!.payload.new as { label: string }).label, 'public');
    await sleep(200);
    assert.deepEqual(secretsIn(anonymous.frames), []);
    assert.deepEqual((await anonymous.join('table:ledger_old')).payload.response, {
      reason:
        'not authenticated: table:ledger_old is not a public table; connect with an access token to join private tables',
      code: 'NOT_AUTHENTICATED',
    });
  });

  test('renamed into: a public table renamed to a dropped private table’s name replays neither past', async () => {
    await createTable(sql, 'diary', owner, { public: false });
    const secretSeqs = await insertSecrets('diary');
    await dropTable('diary');
    await createTable(sql, 'board', other, { public: true });
    const anonymous = await connect();
    await anonymous.join('table:board');
    await sql.query(`INSERT INTO board (label) VALUES ('board before the rename')`);
    await anonymous.waitForChanges('table:board', 1);
    await renameTable('board', 'diary');
    await anonymous.waitFor((f) => f.event === 'phx_close' && f.topic === 'table:board');

    const fresh = await connect();
    for (const lastSeq of [0, secretSeqs.at(-1)!]) await expectResync(fresh, 'table:diary', lastSeq);
    await sql.query(`INSERT INTO diary (label) VALUES ('diary after the rename')`);
    const [change] = await fresh.waitForChanges('table:diary', 1);
    assert.deepEqual(change!.payload.new, {
      id: 2,
      label: 'diary after the rename',
      n: null,
      flag: null,
      at: null,
    });
    assert.equal(change!.payload.table, 'diary');
    await sleep(200);
    assert.equal(fresh.changes('table:diary').length, 1);
    assert.deepEqual(secretsIn(fresh.frames), []);
  });

  test('private → public: nothing captured while private reaches those who could not read it then', async () => {
    await createTable(sql, 'drafts', owner, { public: false });
    const ownerClient = await connect(owner.token);
    await ownerClient.join('table:drafts');
    const secretSeqs = await insertSecrets('drafts');
    await sql.query(`UPDATE tables SET public = true WHERE name = 'drafts'`);
    await sql.query(`INSERT INTO drafts (label) VALUES ('published')`);
    // The owner, who could read both, keeps the channel across the change.
    await ownerClient.waitForChanges('table:drafts', secretSeqs.length + 1);

    for (const token of [undefined, other.token]) {
      const client = await connect(token);
      for (const lastSeq of [0, secretSeqs[0]!, secretSeqs.at(-1)!]) {
        await expectResync(client, 'table:drafts', lastSeq);
      }
      const since = await epochOf('drafts');
      const resumed = await client.join('table:drafts', { last_seq: since });
      assert.equal((resumed.payload.response as { resync_required?: boolean }).resync_required, undefined);
      const [published] = await client.waitForChanges('table:drafts', 1);
      assert.equal((published!.payload.new as { label: string }).label, 'published');
      await sleep(200);
      assert.deepEqual(secretsIn(client.frames), []);
    }
  });

  test('a new owner gets nothing of the old owner’s time; the old owner loses the channel', async () => {
    await createTable(sql, 'journal', owner, { public: false });
    const oldOwner = await connect(owner.token);
    await oldOwner.join('table:journal');
    const secretSeqs = await insertSecrets('journal');
    await oldOwner.waitForChanges('table:journal', secretSeqs.length);
    await sql.query(`UPDATE tables SET owner_id = $1 WHERE name = 'journal'`, [other.id]);
    const closed = await oldOwner.waitFor((f) => f.event === 'phx_close' && f.topic === 'table:journal');
    assert.equal(closed.payload.code, 'FORBIDDEN');
    assert.equal(
      ((await oldOwner.join('table:journal')).payload.response as { code: string }).code,
      'NOT_FOUND',
    );

    const newOwner = await connect(other.token);
    for (const lastSeq of [0, secretSeqs[0]!, secretSeqs.at(-1)!]) {
      await expectResync(newOwner, 'table:journal', lastSeq);
    }
    await sql.query(`INSERT INTO journal (label) VALUES ('new owner')`);
    const [change] = await newOwner.waitForChanges('table:journal', 1);
    assert.equal((change!.payload.new as { label: string }).label, 'new owner');
    await sleep(200);
    assert.deepEqual(secretsIn(newOwner.frames), []);
  });

  test('a join while the feed lags behind a visibility change never receives the older changes live', async () => {
    await createTable(sql, 'lagging', owner, { public: false });
    await createTable(sql, 'holdback', owner, { public: true });
    // An open transaction holding a seq holds the feed below it (strict order), while later ones commit.
    const holder = await connectSql(db);
    try {
      await holder.query('BEGIN');
      await holder.query(`INSERT INTO holdback (label) VALUES ('held')`);
      const secretSeqs = await insertSecrets('lagging');
      await sql.query(`UPDATE tables SET public = true WHERE name = 'lagging'`);
      assert.ok(
        realtime.service.feed.position < secretSeqs[0]!,
        'the feed is held below the private changes',
      );
      const anonymous = await connect();
      const joined = await anonymous.join('table:lagging');
      assert.equal(joined.payload.status, 'ok', JSON.stringify(joined.payload));
      assert.ok((joined.payload.response as { last_seq: number }).last_seq >= (await epochOf('lagging')));
      await holder.query('COMMIT');
      const { rows } = await sql.query(`SELECT max(seq)::int AS seq FROM realtime.changes`);
      await waitUntil(
        () => realtime.service.feed.position >= rows[0].seq,
        'the feed to pass the held changes',
      );
      await sql.query(`INSERT INTO lagging (label) VALUES ('public')`);
      const [first] = await anonymous.waitForChanges('table:lagging', 1);
      assert.equal((first!.payload.new as { label: string }).label, 'public');
      await sleep(200);
      assert.equal(anonymous.changes('table:lagging').length, 1);
    } finally {
      await holder.end();
    }
  });

  test('a visibility change waits for the table’s writers, so every change is on one side of it', async () => {
    await createTable(sql, 'inflight', owner, { public: false });
    await sql.query(`INSERT INTO inflight (label) VALUES ('secret to delete')`);
    const flipper = await connectSql(db);
    const writer = await connectSql(db);
    try {
      await flipper.query('BEGIN');
      await flipper.query(`UPDATE tables SET public = true WHERE name = 'inflight'`);
      // A write that starts while the change is not committed waits for it, then lands after the boundary.
      const deleting = writer.query(`DELETE FROM inflight WHERE label = 'secret to delete'`);
      await waitUntil(async () => {
        const { rows } = await sql.query(
          `SELECT count(*)::int AS n FROM pg_locks WHERE relation = 'inflight'::regclass AND NOT granted`,
        );
        return rows[0].n > 0;
      }, 'the write to wait for the visibility change');
      await flipper.query('COMMIT');
      await deleting;
      const { rows } = await sql.query<{ seq: number; operation: string }>(
        `SELECT seq, operation FROM realtime.changes WHERE table_name = 'inflight' ORDER BY seq`,
      );
      const since = await epochOf('inflight');
      assert.deepEqual(
        rows.map((row) => [row.operation, Number(row.seq) > since]),
        [
          ['INSERT', false],
          ['DELETE', true],
        ],
      );
    } finally {
      await flipper.end();
      await writer.end();
    }
  });
});

describe('through the API and the backend proxy', () => {
  test('drop and recreate, and rename away, never replay a private table to an anonymous socket', async () => {
    const stack = await startBackendWithRealtime();
    try {
      const { app } = stack.backend;
      const admin = await login(app, ADMIN.email, ADMIN.password);
      const user = await registerUser(app, 'identity@example.com');
      const create = async (name: string, isPublic: boolean, token: string) => {
        const created = await call(app, 'POST', '/tables/', {
          token,
          body: { name, table_schema: { label: { type: 'text' } }, public: isPublic },
        });
        assert.equal(created.status, 201, JSON.stringify(created.body));
        const id = String(created.body.id);
        const enabled = await call(app, 'PATCH', `/tables/${id}`, {
          token,
          body: { realtime_enabled: true },
        });
        assert.equal(enabled.status, 200, JSON.stringify(enabled.body));
        return id;
      };
      const insert = async (id: string, labels: string[], token: string) => {
        const inserted = await call(app, 'POST', `/tables/${id}/data`, {
          token,
          body: labels.map((label) => ({ label })),
        });
        assert.ok(inserted.status < 300, JSON.stringify(inserted.body));
      };

      const secrets = await create('secrets', false, user.access_token);
      await insert(secrets, ['secret a', 'secret b'], user.access_token);
      assert.equal(
        (await call(app, 'DELETE', `/tables/${secrets}`, { token: user.access_token })).status,
        200,
      );
      const reborn = await create('secrets', true, admin.access_token);

      const vault = await create('vault', false, user.access_token);
      await insert(vault, ['secret c'], user.access_token);
      const renamed = await call(app, 'PATCH', `/tables/${vault}`, {
        token: user.access_token,
        body: { name: 'vault_archive' },
      });
      assert.equal(renamed.status, 200, JSON.stringify(renamed.body));
      const vaultAgain = await create('vault', true, admin.access_token);

      const anonymous = await RawClient.open(
        socketUrl(`ws://127.0.0.1:${stack.backendPort}`, {}, '/realtime/socket/websocket'),
      );
      try {
        for (const topic of ['table:secrets', 'table:vault']) {
          const reply = await anonymous.join(topic, { last_seq: 0 });
          assert.equal((reply.payload.response as { resync_required?: boolean }).resync_required, true);
        }
        await insert(reborn, ['public x'], admin.access_token);
        await insert(vaultAgain, ['public y'], admin.access_token);
        await anonymous.waitForChanges('table:secrets', 1);
        await anonymous.waitForChanges('table:vault', 1);
        await sleep(200);
        assert.deepEqual(secretsIn(anonymous.frames), []);
        assert.equal(
          anonymous.frames.filter((f) => ['insert', 'update', 'delete'].includes(f.event)).length,
          2,
        );
        // The renamed table still streams to its owner, under its new name and id.
        const ownerSocket = await RawClient.open(
          socketUrl(`ws://127.0.0.1:${stack.backendPort}`, { token: user.access_token }, '/realtime/socket'),
        );
        try {
          assert.equal((await ownerSocket.join('table:vault_archive')).payload.status, 'ok');
          await insert(vault, ['secret d'], user.access_token);
          const [change] = await ownerSocket.waitForChanges('table:vault_archive', 1);
          assert.equal(change!.payload.table, 'vault_archive');
        } finally {
          ownerSocket.close();
        }
      } finally {
        anonymous.close();
      }
    } finally {
      await stack.close();
    }
  });
});
