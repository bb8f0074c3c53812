// POST /sql/query end to end, through PgBouncer: results of the last statement, read-only detection by Postgres,
// transactions (timeouts and errors leave nothing behind), the row cap, the guardrails, and the history of every call.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { ADMIN, call, login, startTestApp, type TestApp } from './helpers.ts';

const MAX_ROWS = 5;
const TIMEOUT_MS = 1000;

let t: TestApp;
let db: pg.Client;
let token: string;

before(async () => {
  t = await startTestApp({ SQL_MAX_ROWS: String(MAX_ROWS), SQL_STATEMENT_TIMEOUT_MS: String(TIMEOUT_MS) });
  token = (await login(t.app, ADMIN.email, ADMIN.password)).access_token;
  db = new pg.Client({ connectionString: t.db.directUrl });
  await db.connect();
});
after(async () => {
  await db.end();
  await t.close();
});

const sql = (query: string, extra: Record<string, unknown> = {}) =>
  call(t.app, 'POST', '/sql/query', { token, body: { query, ...extra } });
const scalar = async (text: string, params: unknown[] = []) =>
  (await db.query(text, params)).rows[0]?.v as unknown;
const exists = async (table: string) =>
  (await scalar('SELECT to_regclass($1) IS NOT NULL AS v', [table])) as boolean;
const lastHistory = async () => {
  const { body } = await call(t.app, 'GET', '/sql/history?limit=1', { token });
  return (body.history as Record<string, unknown>[])[0]!;
};
const rowsOf = (body: Record<string, unknown>) => body.data as Record<string, unknown>[];

describe('results', () => {
  test('a SELECT answers SelfDB 0.0.5’s SqlExecutionResult with the columns and rows', async () => {
    const r = await sql("SELECT 1 AS n, 'a' AS s, NULL::int AS nothing");
    assert.equal(r.status, 200);
    assert.equal(r.body.success, true);
    assert.equal(r.body.is_read_only, true);
    assert.equal(typeof r.body.execution_time, 'number');
    assert.deepEqual(r.body.columns, ['n', 's', 'nothing']);
    assert.deepEqual(r.body.data, [{ n: 1, s: 'a', nothing: null }]);
    assert.equal(r.body.row_count, 1);
    assert.equal(r.body.message, 'Query returned 1 row(s)');
    assert.equal(r.body.error, null);
    assert.equal(r.headers['x-selfdb-truncated'], undefined);
  });

  test('values keep their Postgres meaning: dates as written, big integers exact, JSON as JSON', async () => {
    const r = await sql(
      `SELECT DATE '2024-02-29' AS d, TIMESTAMP '2024-01-02 03:04:05.123456' AS ts,
        TIMESTAMPTZ '2024-01-02 03:04:05+00' AS tstz, 9007199254740993::int8 AS big, 42::int8 AS small,
        '\\xdeadbeef'::bytea AS b, '1 day 02:00'::interval AS i, '{"k": [1, 2]}'::jsonb AS j, 1.50::numeric AS num,
        ARRAY[1, 2] AS arr, true AS flag`,
    );
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.deepEqual(rowsOf(r.body)[0], {
      d: '2024-02-29',
      ts: '2024-01-02 03:04:05.123456',
      tstz: '2024-01-02T03:04:05.000Z',
      big: '9007199254740993',
      small: 42,
      b: '\\xdeadbeef',
      i: '1 day 02:00:00',
      j: { k: [1, 2] },
      num: '1.50',
      arr: [1, 2],
      flag: true,
    });
  });

  test('odd column names stay columns', async () => {
    const r = await sql('SELECT 1 AS "__proto__", 2 AS "constructor", 3 AS "a b"');
    assert.equal(r.status, 200);
    assert.deepEqual(r.body.columns, ['__proto__', 'constructor', 'a b']);
    assert.deepEqual(JSON.parse(JSON.stringify(rowsOf(r.body)[0])), {
      ['__proto__']: 1,
      constructor: 2,
      'a b': 3,
    });
    assert.equal(Object.keys(rowsOf(r.body)[0]!).length, 3);
  });

  test('a script runs every statement and answers the last one', async () => {
    const r = await sql(`CREATE TABLE items (id serial PRIMARY KEY, name text NOT NULL);
      INSERT INTO items (name) VALUES ('a'), ('b'), ('c');
      UPDATE items SET name = upper(name) WHERE id > 1;
      SELECT name FROM items ORDER BY id`);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.is_read_only, false);
    assert.deepEqual(r.body.data, [{ name: 'a' }, { name: 'B' }, { name: 'C' }]);
  });

  test('a last statement without rows answers the rows it affected', async () => {
    const r = await sql("UPDATE items SET name = 'x' WHERE id <= 2");
    assert.equal(r.status, 200);
    assert.equal(r.body.row_count, 2);
    assert.equal(r.body.columns, null);
    assert.equal(r.body.data, null);
    assert.equal(r.body.message, 'Query executed successfully. 2 row(s) affected.');
  });

  test('the statement timeout from config is set for the script’s transaction only', async () => {
    const r = await sql('SHOW statement_timeout');
    assert.deepEqual(r.body.data, [{ statement_timeout: '1s' }]);
    const local = await sql(
      "SET LOCAL statement_timeout = '1234ms'; SET LOCAL search_path = nowhere; SELECT 1",
    );
    assert.equal(local.status, 200, JSON.stringify(local.body));
    // Several calls, so that every pooled connection is asked: nothing leaked into any of them.
    for (let i = 0; i < 6; i++) {
      const r2 = await sql(
        'SELECT current_setting($$statement_timeout$$) AS t, current_setting($$search_path$$) AS p',
      );
      assert.deepEqual(r2.body.data, [{ t: '1s', p: '"$user", public' }]);
    }
  });
});

describe('read-only detection is done by Postgres', () => {
  before(async () => {
    await db.query(`CREATE TABLE ro_log (id serial PRIMARY KEY, note text);
      CREATE SEQUENCE ro_seq;
      CREATE FUNCTION ro_write(note text) RETURNS int LANGUAGE sql VOLATILE AS
        $$ INSERT INTO ro_log (note) VALUES (note) RETURNING id $$;
      INSERT INTO ro_log (note) VALUES ('keep'), ('drop me')`);
  });

  const cases: [string, string, boolean][] = [
    ['a plain SELECT', 'SELECT count(*) AS n FROM ro_log', true],
    ['EXPLAIN without ANALYZE', 'EXPLAIN DELETE FROM ro_log WHERE id = 1', true],
    [
      'a CTE that inserts',
      "WITH x AS (INSERT INTO ro_log (note) VALUES ('cte') RETURNING note) SELECT * FROM x",
      false,
    ],
    ['a SELECT of a volatile function that writes', "SELECT ro_write('fn') AS id", false],
    ['EXPLAIN ANALYZE of a DELETE', "EXPLAIN ANALYZE DELETE FROM ro_log WHERE note = 'drop me'", false],
    ['nextval()', "SELECT nextval('ro_seq') AS v", false],
    ['SELECT … FOR UPDATE', 'SELECT id FROM ro_log WHERE id = 1 FOR UPDATE', false],
  ];
  for (const [name, query, readOnly] of cases) {
    test(`${name} → is_read_only ${readOnly}`, async () => {
      const r = await sql(query);
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.equal(r.body.is_read_only, readOnly);
    });
  }

  test('the writes were committed (SelfDB 0.0.5 rolled a WITH … INSERT back silently)', async () => {
    const notes = (await db.query('SELECT note FROM ro_log ORDER BY id')).rows.map((r) => r.note);
    assert.deepEqual(notes, ['keep', 'cte', 'fn']);
    assert.equal(await scalar('SELECT last_value AS v FROM ro_seq'), 1);
  });
});

describe('transactions', () => {
  test('a statement past the timeout is cancelled, everything rolls back, and history says so', async () => {
    const r = await sql('CREATE TABLE slow (x int); INSERT INTO slow VALUES (1); SELECT pg_sleep(5)');
    assert.equal(r.status, 504);
    assert.equal(r.body.code, 'QUERY_TIMEOUT');
    assert.match(String(r.body.detail), /statement timeout \(1000 ms/);
    assert.equal(await exists('slow'), false);
    const entry = await lastHistory();
    assert.equal(entry.query, 'CREATE TABLE slow (x int); INSERT INTO slow VALUES (1); SELECT pg_sleep(5)');
    assert.match(String(entry.error), /statement timeout/);
    assert.equal(entry.is_read_only, false);
    assert.ok(Number(entry.execution_time) >= 0.9);
    // The connection went back to the pool in a usable state.
    assert.equal((await sql('SELECT 1 AS ok')).status, 200);
  });

  test('a script that fails halfway leaves nothing of itself', async () => {
    const registry = await scalar('SELECT count(*)::int AS v FROM tables');
    const r = await sql(`CREATE TABLE half (x int);
      INSERT INTO half VALUES (1);
      INSERT INTO items (name) VALUES ('ghost');
      SELECT * FROM missing_table;
      CREATE TABLE half_two (y int)`);
    assert.equal(r.status, 400);
    assert.equal(r.body.code, 'SQL_ERROR');
    assert.equal(r.body.detail, 'relation "missing_table" does not exist');
    assert.equal(await exists('half'), false);
    assert.equal(await exists('half_two'), false);
    assert.equal(await scalar("SELECT count(*)::int AS v FROM items WHERE name = 'ghost'"), 0);
    assert.equal(await scalar('SELECT count(*)::int AS v FROM tables'), registry);
    assert.equal((await lastHistory()).error, 'relation "missing_table" does not exist');
  });

  test('Postgres errors answer 400 with Postgres’s message, as SelfDB 0.0.5', async () => {
    const r = await sql("INSERT INTO items (id, name) VALUES (1, 'dup')");
    assert.equal(r.status, 400);
    assert.equal(r.body.code, 'SQL_ERROR');
    assert.match(String(r.body.detail), /duplicate key value violates unique constraint "items_pkey"/);
  });

  test('statements that cannot run in a transaction are refused by Postgres', async () => {
    const r = await sql('VACUUM items');
    assert.equal(r.status, 400);
    assert.match(String(r.body.detail), /cannot run inside a transaction block/);
  });
});

describe('row cap', () => {
  test(`a result longer than SQL_MAX_ROWS (${MAX_ROWS}) is cut and says so`, async () => {
    const r = await sql('SELECT g FROM generate_series(1, 1000000) g');
    assert.equal(r.status, 200);
    assert.equal(rowsOf(r.body).length, MAX_ROWS);
    assert.equal(r.body.row_count, MAX_ROWS);
    assert.match(String(r.body.message), /more than 5 rows; showing the first 5/);
    assert.equal(r.headers['x-selfdb-truncated'], 'true');
  });

  test('a result of exactly the cap is not cut', async () => {
    const r = await sql(`SELECT g FROM generate_series(1, ${MAX_ROWS}) g`);
    assert.equal(rowsOf(r.body).length, MAX_ROWS);
    assert.equal(r.headers['x-selfdb-truncated'], undefined);
    assert.equal(r.body.message, `Query returned ${MAX_ROWS} row(s)`);
  });

  test('a cut INSERT … RETURNING still inserts every row', async () => {
    const r = await sql("INSERT INTO items (name) SELECT 'bulk' FROM generate_series(1, 12) RETURNING id");
    assert.equal(r.status, 200);
    assert.equal(rowsOf(r.body).length, MAX_ROWS);
    assert.equal(r.headers['x-selfdb-truncated'], 'true');
    assert.equal(await scalar("SELECT count(*)::int AS v FROM items WHERE name = 'bulk'"), 12);
  });

  test('rows of earlier statements are not returned, however many', async () => {
    const r = await sql('SELECT g FROM generate_series(1, 5000) g; SELECT 42 AS answer');
    assert.deepEqual(r.body.data, [{ answer: 42 }]);
  });
});

describe('guardrails over HTTP', () => {
  before(async () => {
    await db.query(
      'CREATE TABLE precious (id int PRIMARY KEY); INSERT INTO precious SELECT generate_series(1, 3)',
    );
  });
  const rows = () => scalar('SELECT count(*)::int AS v FROM precious');

  for (const query of [
    'DELETE FROM precious',
    'UPDATE precious SET id = id + 100',
    'TRUNCATE precious',
    'INSERT INTO precious VALUES (99); DELETE FROM precious',
    'WITH gone AS (DELETE FROM precious RETURNING *) SELECT count(*) FROM gone',
    'EXPLAIN ANALYZE DELETE FROM precious',
    'DROP TABLE precious',
  ]) {
    test(`${JSON.stringify(query)} is refused without confirm_destructive, and nothing ran`, async () => {
      const r = await sql(query);
      assert.equal(r.status, 400);
      assert.equal(r.body.code, 'SQL_CONFIRMATION_REQUIRED');
      assert.match(String(r.body.detail), /confirm_destructive/);
      assert.equal(await rows(), 3);
      assert.equal(await scalar('SELECT count(*)::int AS v FROM precious WHERE id = 99'), 0);
      const entry = await lastHistory();
      assert.equal(entry.query, query);
      assert.equal(entry.error, r.body.detail);
    });
  }

  test('confirmed, a DELETE without WHERE runs', async () => {
    const r = await sql('DELETE FROM precious', { confirm_destructive: true });
    assert.equal(r.status, 200);
    assert.equal(r.body.row_count, 3);
    assert.equal(await rows(), 0);
  });

  test('confirmed, a DROP inside a script runs', async () => {
    const r = await sql('SELECT 1; DROP TABLE precious', { confirm_destructive: true });
    assert.equal(r.status, 200);
    assert.equal(await exists('precious'), false);
  });

  for (const query of [
    "SELECT pg_read_file('/etc/passwd')",
    "COPY items TO PROGRAM 'cat > /tmp/x'",
    "SELECT lo_import('/etc/hostname')",
    'SELECT 1; -- hidden',
  ]) {
    test(`prohibited ${JSON.stringify(query)} → upstream’s 400, even confirmed`, async () => {
      const r = await sql(query, { confirm_destructive: true });
      assert.equal(r.status, 400);
      assert.deepEqual(r.body, {
        detail: 'Query contains prohibited pattern for security reasons',
        code: 'SQL_PROHIBITED',
      });
    });
  }

  test('protected system tables cannot be changed from the console', async () => {
    const before = await scalar('SELECT count(*)::int AS v FROM sql_history');
    const r = await sql('DELETE FROM sql_history WHERE true', { confirm_destructive: true });
    assert.equal(r.status, 400);
    assert.deepEqual(r.body, {
      detail: 'Cannot modify protected system table: sql_history',
      code: 'SQL_PROTECTED_TABLE',
    });
    // The refused call itself was recorded: one more entry, none removed.
    assert.equal(await scalar('SELECT count(*)::int AS v FROM sql_history'), Number(before) + 1);
  });

  test('session state and transaction control are refused with a hint', async () => {
    for (const [query, hint] of [
      ['SET search_path = elsewhere', /use SET LOCAL/],
      ['COMMIT', /transaction control/],
      ['CREATE TEMP TABLE scratch (x int)', /ON COMMIT DROP/],
      ['SELECT pg_advisory_lock(7)', /pg_advisory_xact_lock/],
    ] as const) {
      const r = await sql(query);
      assert.equal(r.status, 400, query);
      assert.equal(r.body.code, 'SQL_STATEMENT_NOT_ALLOWED');
      assert.match(String(r.body.detail), hint);
    }
    const ok = await sql(
      'CREATE TEMP TABLE scratch (x int) ON COMMIT DROP; INSERT INTO scratch VALUES (1); SELECT * FROM scratch',
    );
    assert.deepEqual(ok.body.data, [{ x: 1 }]);
  });
});

describe('bad input', () => {
  test('empty, blank, oversized, NUL-carrying and malformed bodies are refused and not run', async () => {
    const historyBefore = await scalar('SELECT count(*)::int AS v FROM sql_history');
    for (const body of [
      {},
      { query: '' },
      { query: 'x'.repeat(100_001) },
      { query: 'SELECT 1\u0000' },
      { query: 42 },
      { query: 'SELECT 1', confirm_destructive: 'yes' },
      { query: 'SELECT 1', unexpected: true },
    ]) {
      const r = await call(t.app, 'POST', '/sql/query', { token, body });
      assert.equal(r.status, 422, JSON.stringify(body).slice(0, 80));
      assert.equal(r.body.code, 'VALIDATION_FAILED');
    }
    assert.equal(await scalar('SELECT count(*)::int AS v FROM sql_history'), historyBefore);
    const blank = await sql('  -- nothing here\n');
    assert.equal(blank.status, 400);
    assert.equal(blank.body.detail, 'Query contains no SQL statement');
  });

  test('a query of exactly 100000 characters is accepted', async () => {
    const query = `SELECT 1 AS one${' '.repeat(100_000 - 15)}`;
    assert.equal(query.length, 100_000);
    const r = await sql(query);
    assert.equal(r.status, 200);
  });
});
