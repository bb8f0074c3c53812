// Authorization as tables of scenarios (SPEC §2.1/§2.2): who may connect, who may join which topic, who receives
// what; and authorization kept current while connected: a table made private or deleted, a demoted admin, a
// deactivated user, and an access token that expires (the flow stops until a fresh one is sent).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type pg from 'pg';
import {
  API_KEY,
  committedSeqs,
  connectSql,
  createTable,
  createTestDatabase,
  createUser,
  RawClient,
  signToken,
  sleep,
  socketUrl,
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
let admin: TestUser;
const open: RawClient[] = [];

before(async () => {
  db = await createTestDatabase();
  sql = await connectSql(db);
  owner = await createUser(sql, 'USER');
  other = await createUser(sql, 'USER');
  admin = await createUser(sql, 'ADMIN');
  await createTable(sql, 'pub', owner, { public: true });
  await createTable(sql, 'priv', owner, { public: false });
  realtime = await startRealtime(db);
});

after(async () => {
  for (const client of open) client.close();
  await realtime?.close();
  await sql?.end();
});

type Actor = 'anonymous' | 'other' | 'owner' | 'admin';
const tokenOf = (actor: Actor) =>
  ({ anonymous: undefined, other: other.token, owner: owner.token, admin: admin.token })[actor];

async function connectAs(actor: Actor): Promise<RawClient> {
  const client = await RawClient.open(socketUrl(realtime.base, { token: tokenOf(actor) }));
  open.push(client);
  return client;
}

describe('connecting', () => {
  const cases: Array<[string, Record<string, string | undefined>, number | 'ok', string?]> = [
    ['no API key', { 'X-API-Key': undefined }, 406, 'API_KEY_MISSING'],
    ['a wrong API key', { 'X-API-Key': 'not-the-key' }, 401, 'API_KEY_INVALID'],
    [
      'a forged token',
      { token: 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4Iiwicm9sZSI6IkFETUlOIn0.bad' },
      401,
      'INVALID_TOKEN',
    ],
    ['a malformed token', { token: 'undefined' }, 401, 'INVALID_TOKEN'],
    ['no token (anonymous)', {}, 'ok'],
  ];
  for (const [name, params, expected, code] of cases) {
    test(`${name}: ${expected === 'ok' ? 'accepted' : `refused with ${expected} ${code}`}`, async () => {
      const attempt = RawClient.open(socketUrl(realtime.base, params));
      if (expected === 'ok') {
        (await attempt).close();
        return;
      }
      await assert.rejects(attempt, (err: { status: number; body: string }) => {
        assert.equal(err.status, expected);
        assert.equal(JSON.parse(err.body).code, code);
        return true;
      });
    });
  }

  test('an expired token, a deleted or inactive user, an ended or foreign session are refused; the key header works too', async () => {
    const expired = await signToken(owner, -10);
    await assert.rejects(RawClient.open(socketUrl(realtime.base, { token: expired })), { status: 401 });
    const gone = await createUser(sql, 'USER');
    await sql.query('DELETE FROM users WHERE id = $1', [gone.id]);
    await assert.rejects(RawClient.open(socketUrl(realtime.base, { token: gone.token })), { status: 401 });
    const inactive = await createUser(sql, 'USER');
    await sql.query('UPDATE users SET is_active = false WHERE id = $1', [inactive.id]);
    await assert.rejects(RawClient.open(socketUrl(realtime.base, { token: inactive.token })), {
      status: 400,
    });
    const ended = await createUser(sql, 'USER');
    await sql.query('UPDATE refresh_tokens SET revoked_at = NOW() WHERE user_id = $1', [ended.id]);
    await assert.rejects(RawClient.open(socketUrl(realtime.base, { token: ended.token })), { status: 401 });
    const foreignSession = await signToken({ ...owner, sid: other.sid }, 600);
    await assert.rejects(RawClient.open(socketUrl(realtime.base, { token: foreignSession })), {
      status: 401,
    });
    const viaHeaders = await RawClient.open(socketUrl(realtime.base, { 'X-API-Key': undefined }), '2.0.0', {
      'X-API-Key': API_KEY,
      Authorization: `Bearer ${owner.token}`,
    });
    assert.equal((await viaHeaders.join('table:priv')).payload.status, 'ok');
    viaHeaders.close();
  });
});

describe('joining (status per actor)', () => {
  const ok = 'ok';
  const notFound = 'NOT_FOUND';
  const forbidden = 'FORBIDDEN';
  // Without a token, whatever is not public asks for one (REST's 401), an unknown table too: the answer must not
  // tell a private table from a missing one. Signed-in users get NOT_FOUND for both, as REST answers them.
  const noToken = 'NOT_AUTHENTICATED';
  const scenarios: Array<[string, Record<Actor, string>]> = [
    ['table:pub (public)', { anonymous: ok, other: ok, owner: ok, admin: ok }],
    ['table:priv (private)', { anonymous: noToken, other: notFound, owner: ok, admin: ok }],
    ['table:users', { anonymous: noToken, other: forbidden, owner: forbidden, admin: ok }],
    ['table:tables', { anonymous: noToken, other: forbidden, owner: forbidden, admin: ok }],
    ['table:buckets', { anonymous: noToken, other: forbidden, owner: forbidden, admin: ok }],
    ['table:files', { anonymous: noToken, other: forbidden, owner: forbidden, admin: ok }],
    ['table:nosuch (unknown)', { anonymous: noToken, other: notFound, owner: notFound, admin: notFound }],
  ];
  for (const [label, expected] of scenarios) {
    test(label, async () => {
      const topic = label.split(' ')[0]!;
      for (const actor of Object.keys(expected) as Actor[]) {
        const client = await connectAs(actor);
        const reply = await client.join(topic);
        const response = reply.payload.response as { code?: string; reason?: string };
        const got = reply.payload.status === 'ok' ? ok : response.code;
        assert.equal(got, expected[actor], `${actor} joining ${topic}: ${JSON.stringify(reply.payload)}`);
        if (got === noToken) assert.match(response.reason ?? '', /^not authenticated: /);
        // The reason names the topic the client sent, nothing it could not know.
        if (got === notFound)
          assert.equal(response.reason, `table ${topic.slice('table:'.length)} not found`);
        client.close();
      }
    });
  }

  test('only those who may read a table receive its changes; no password hash reaches admins', async () => {
    const clients = {} as Record<Actor, RawClient>;
    for (const actor of ['anonymous', 'other', 'owner', 'admin'] as Actor[]) {
      clients[actor] = await connectAs(actor);
      await clients[actor].join('table:priv');
      await clients[actor].join('table:pub');
    }
    await clients.admin.join('table:users');
    await sql.query(`INSERT INTO priv (label) VALUES ('secret')`);
    await sql.query(`INSERT INTO pub (label) VALUES ('hello')`);
    await createUser(sql, 'USER');
    for (const actor of ['owner', 'admin'] as Actor[]) await clients[actor].waitForChanges('table:priv', 1);
    for (const actor of Object.keys(clients) as Actor[]) await clients[actor].waitForChanges('table:pub', 1);
    const [userInsert] = await clients.admin.waitForChanges('table:users', 1);
    assert.equal('password' in (userInsert!.payload.new as object), false);
    await sleep(100);
    assert.equal(clients.anonymous.changes('table:priv').length, 0);
    assert.equal(clients.other.changes('table:priv').length, 0);
  });
});

describe('authorization while connected', () => {
  test('a table made private closes the channel of those who lost access (phx_close); the owner keeps it', async () => {
    await createTable(sql, 'flip', owner, { public: true });
    const anonymous = await connectAs('anonymous');
    const ownerClient = await connectAs('owner');
    await anonymous.join('table:flip');
    await ownerClient.join('table:flip');
    await sql.query(`INSERT INTO flip (label) VALUES ('public time')`);
    await anonymous.waitForChanges('table:flip', 1);
    await sql.query(`UPDATE tables SET public = false WHERE name = 'flip'`);
    const closed = await anonymous.waitFor((f) => f.event === 'phx_close' && f.topic === 'table:flip');
    assert.equal(closed.payload.code, 'FORBIDDEN');
    await sql.query(`INSERT INTO flip (label) VALUES ('private time')`);
    await ownerClient.waitForChanges('table:flip', 2);
    await sleep(100);
    assert.equal(anonymous.changes('table:flip').length, 1);
    assert.equal((await anonymous.join('table:flip')).payload.status, 'error');
  });

  test('a table made private while a join waits for the database refuses that join', async () => {
    await createTable(sql, 'racy', owner, { public: true });
    const client = await connectAs('anonymous');
    // Hold the join on its last query (the resume bounds) while the registry change passes the feed.
    const locker = await connectSql(db);
    try {
      await locker.query('BEGIN');
      await locker.query('LOCK TABLE realtime.retention IN ACCESS EXCLUSIVE MODE');
      const joining = client.join('table:racy', { last_seq: 0 });
      await waitUntil(async () => {
        const { rows } = await sql.query(
          `SELECT count(*)::int AS n FROM pg_locks WHERE relation = 'realtime.retention'::regclass AND NOT granted`,
        );
        return rows[0].n > 0;
      }, 'the join to wait on the lock');
      await sql.query(`UPDATE tables SET public = false WHERE name = 'racy'`);
      const { rows } = await sql.query(`SELECT max(seq)::int AS seq FROM realtime.changes`);
      await waitUntil(() => realtime.service.feed.position >= rows[0].seq, 'the feed to pass the change');
      await locker.query('COMMIT');
      const reply = await joining;
      assert.equal(reply.payload.status, 'error', JSON.stringify(reply.payload));
      assert.equal((reply.payload.response as { code: string }).code, 'NOT_AUTHENTICATED');
    } finally {
      await locker.end();
    }
  });

  test('a deleted table closes its channels', async () => {
    await createTable(sql, 'doomed', owner, { public: true });
    const client = await connectAs('other');
    await client.join('table:doomed');
    await sql.query(`DELETE FROM tables WHERE name = 'doomed'`);
    const closed = await client.waitFor((f) => f.event === 'phx_close' && f.topic === 'table:doomed');
    assert.equal(closed.payload.code, 'NOT_FOUND');
  });

  test('a demoted admin loses system topics at once, then is signed out (4001) with the session; so is a deactivated user', async () => {
    const boss = await createUser(sql, 'ADMIN');
    const client = await RawClient.open(socketUrl(realtime.base, { token: boss.token }));
    open.push(client);
    assert.equal((await client.join('table:users')).payload.status, 'ok');
    assert.equal((await client.join('table:pub')).payload.status, 'ok');
    // A new role ends the user's sessions in the same transaction (migration 0032).
    await sql.query(`UPDATE users SET role = 'USER' WHERE id = $1`, [boss.id]);
    const closed = await client.waitFor((f) => f.event === 'phx_close' && f.topic === 'table:users');
    assert.ok(['FORBIDDEN', 'INVALID_TOKEN'].includes(String(closed.payload.code)), JSON.stringify(closed));
    const demoted = await client.waitClosed();
    assert.equal(demoted.code, 4001);
    assert.match(demoted.reason, /session ended/);
    const pubClosed = client.frames.find((f) => f.event === 'phx_close' && f.topic === 'table:pub');
    assert.equal(pubClosed?.payload.code, 'INVALID_TOKEN');

    const quitter = await createUser(sql, 'USER');
    const other = await RawClient.open(socketUrl(realtime.base, { token: quitter.token }));
    open.push(other);
    assert.equal((await other.join('table:pub')).payload.status, 'ok');
    await sql.query(`UPDATE users SET is_active = false WHERE id = $1`, [quitter.id]);
    const ended = await other.waitClosed();
    assert.equal(ended.code, 4001);
    assert.match(ended.reason, /deactivated/);
    const channelClosed = other.frames.find((f) => f.event === 'phx_close' && f.topic === 'table:pub');
    assert.equal(channelClosed?.payload.code, 'USER_INACTIVE');
  });

  test('a join or a replay right after the token expired, before the periodic sweep, gets nothing', async () => {
    const { rows } = await sql.query<{ seq: number }>(
      `SELECT coalesce(max(seq), 0)::int AS seq FROM realtime.changes`,
    );
    await sql.query(`INSERT INTO priv (label) VALUES ('to replay')`);
    const expiring = await signToken(owner, 2);
    const client = await RawClient.open(socketUrl(realtime.base, { token: expiring }));
    open.push(client);
    const exp = (JSON.parse(Buffer.from(expiring.split('.')[1]!, 'base64url').toString()) as { exp: number })
      .exp;
    // Right after expiry: the sweep (once a second) has most likely not run yet.
    await sleep(exp * 1000 - Date.now() + 5);
    const reply = await client.join('table:priv', { last_seq: rows[0]!.seq });
    assert.equal(reply.payload.status, 'error', JSON.stringify(reply.payload));
    assert.equal((reply.payload.response as { code: string }).code, 'INVALID_TOKEN');
    await sleep(200);
    assert.equal(client.changes('table:priv').length, 0, 'nothing was replayed');
  });

  test('an expired token stops the flow (token_expired); a fresh one resumes it with nothing missed', async () => {
    const shortLived = await signToken(owner, 2);
    const client = await RawClient.open(socketUrl(realtime.base, { token: shortLived }));
    open.push(client);
    const joined = await client.join('table:priv');
    await sql.query(`INSERT INTO priv (label) VALUES ('before expiry')`);
    await client.waitForChanges('table:priv', 1);
    await client.waitFor((f) => f.event === 'token_expired' && f.topic === 'table:priv', 5000);
    await sql.query(`INSERT INTO priv (label) SELECT 'while expired ' || i FROM generate_series(1, 3) AS i`);
    await sleep(200);
    assert.equal(client.changes('table:priv').length, 1, 'nothing flows while the token is expired');
    const blocked = await client.join('table:pub');
    assert.equal((blocked.payload.response as { code: string }).code, 'INVALID_TOKEN');

    const wrongUser = await client.request('phoenix', 'access_token', { access_token: other.token });
    assert.equal((wrongUser.payload.response as { code: string }).code, 'FORBIDDEN');
    const garbage = await client.request('phoenix', 'access_token', { access_token: 'nope' });
    assert.equal((garbage.payload.response as { code: string }).code, 'INVALID_TOKEN');
    const refreshed = await client.request('phoenix', 'access_token', { access_token: owner.token });
    assert.equal(refreshed.payload.status, 'ok');
    await client.waitForChanges('table:priv', 4);
    await sql.query(`INSERT INTO priv (label) VALUES ('after refresh')`);
    await client.waitForChanges('table:priv', 5);
    assert.deepEqual(
      client.changes('table:priv').map((f) => f.payload.seq),
      await committedSeqs(sql, 'priv', (joined.payload.response as { last_seq: number }).last_seq),
    );
  });
});
