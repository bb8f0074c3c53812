// The SQL console's guard on its own: what the Postgres parser lets it see, and what it refuses before a script runs.
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { AppError } from '@selfdb/common';
import { checkScript, copiesToOrFromProgram, loadSqlParser, PROHIBITED_MESSAGE } from './sql-guard.ts';

before(() => loadSqlParser());

const run = (query: string, confirmDestructive = false) => checkScript(query, { confirmDestructive });

function refusal(query: string, confirmDestructive = false): AppError {
  try {
    run(query, confirmDestructive);
  } catch (err) {
    assert.ok(err instanceof AppError, String(err));
    assert.equal(err.statusCode, 400);
    return err;
  }
  assert.fail(`accepted: ${query}`);
}

describe('prohibited patterns (SelfDB 0.0.5 blocklist)', () => {
  for (const query of [
    "SELECT pg_read_file('/etc/passwd')",
    "select PG_WRITE_FILE('x', 'y')",
    "SELECT * FROM pg_ls_dir('.')",
    "SELECT lo_import('/etc/passwd')",
    "SELECT lo_export(1, '/tmp/x')",
    "COPY users TO PROGRAM 'curl evil'",
    "copy users from program 'cat /etc/passwd'",
    "DO $$ BEGIN EXECUTE format('DROP TABLE %I', 'x'); END $$",
    'SELECT 1; -- trailing comment',
    // Found by the parser, not by upstream's single-line regexes.
    "COPY users\nTO\nPROGRAM 'curl evil'",
    "SELECT pg_read_binary_file('/etc/passwd')",
  ]) {
    test(JSON.stringify(query), () => {
      const err = refusal(query, true);
      assert.equal(err.code, 'SQL_PROHIBITED');
      assert.equal(err.message, PROHIBITED_MESSAGE);
    });
  }
});

describe('the COPY … PROGRAM pattern', () => {
  // SelfDB 0.0.5's regexes, with Python's `.` (anything but \n): the reference the linear check must agree with.
  const upstream = (text: string) =>
    /\bcopy\s+[^\n]*\s+to\s+program\b/i.test(text) || /\bcopy\s+[^\n]*\s+from\s+program\b/i.test(text);

  test('agrees with upstream’s regexes on every arrangement of the words that matter', () => {
    // Slots of `copy … to program`, each with right and near-miss fillings.
    const slots = [
      ['', 'x', 'select ', '\n'],
      ['copy', 'COPY', 'xcopy', 'copy_'],
      [' ', '  ', '\t', '', '\n'],
      ['', 'x', 't to', ' ', 'copy '],
      [' ', '', '\n', '\t '],
      ['to', 'from', 'TO', 'too'],
      [' ', '', '  ', '\n'],
      ['program', 'PROGRAM', 'programs', 'progra'],
      ['', ' x', '_x', '\ncopy x to program'],
    ];
    let seed = 7;
    const next = () => (seed = (seed * 1103515245 + 12345) % 2147483648);
    let matched = 0;
    for (let i = 0; i < 20000; i++) {
      const text = slots.map((options) => options[next() % options.length]).join('');
      assert.equal(copiesToOrFromProgram(text), upstream(text), JSON.stringify(text));
      if (upstream(text)) matched++;
    }
    assert.ok(matched > 1000 && matched < 19000, `${matched} matching samples`);
  });

  test('a long line of copies is answered (upstream’s regex backtracks quadratically on it)', () => {
    assert.equal(copiesToOrFromProgram(`${'copy '.repeat(20_000)}to program`), true);
    assert.equal(copiesToOrFromProgram('copy '.repeat(20_000)), false);
  });
});

describe('destructive statements need confirmation', () => {
  const cases: [string, RegExp][] = [
    ['UPDATE things SET price = 0', /UPDATE without WHERE on "things"/],
    ['delete from things', /DELETE without WHERE on "things"/],
    ['DROP TABLE things', /DROP TABLE "things"/],
    ['DROP TABLE IF EXISTS a, b CASCADE', /DROP TABLE "a", "b"/],
    ['DROP VIEW v', /DROP VIEW "v"/],
    ['DROP SCHEMA app CASCADE', /DROP SCHEMA "app"/],
    ['TRUNCATE things', /TRUNCATE "things"/],
    ['ALTER TABLE things DROP COLUMN price', /ALTER TABLE "things" DROP COLUMN "price"/],
    ['DROP ROLE someone', /DROP ROLE/],
    // In a script: named by position.
    ['SELECT 1; INSERT INTO t VALUES (1); DELETE FROM t', /DELETE without WHERE on "t" \(statement 3\)/],
    // Inside a data-modifying CTE and a subquery-bearing statement.
    ['WITH gone AS (DELETE FROM t RETURNING *) SELECT count(*) FROM gone', /DELETE without WHERE/],
    ['WITH x AS (SELECT 1) UPDATE t SET a = (SELECT 1 FROM x)', /UPDATE without WHERE/],
    // EXPLAIN ANALYZE runs the statement.
    ['EXPLAIN ANALYZE DELETE FROM t', /DELETE without WHERE/],
    ['EXPLAIN (ANALYZE, VERBOSE) UPDATE t SET a = 1', /UPDATE without WHERE/],
    // A DO block runs now: its statements are checked too.
    ['DO $$ BEGIN IF true THEN DELETE FROM t; END IF; END $$', /DELETE without WHERE on "t" \(DO block\)/],
    ["DO $body$ BEGIN EXECUTE 'SELECT 1'; DROP TABLE t; END $body$", /DROP TABLE "t"/],
  ];
  for (const [query, expected] of cases) {
    test(`${JSON.stringify(query)} is refused without, run with confirm_destructive`, () => {
      const err = refusal(query);
      assert.equal(err.code, 'SQL_CONFIRMATION_REQUIRED');
      assert.match(err.message, expected);
      assert.match(err.message, /"confirm_destructive": true/);
      assert.ok(run(query, true).length >= 1);
    });
  }

  for (const query of [
    'UPDATE things SET price = 0 WHERE id = 1',
    'DELETE FROM things WHERE price IS NULL',
    'DELETE FROM things USING other WHERE things.id = other.id',
    // Plain EXPLAIN (and ANALYZE off) only plans.
    'EXPLAIN DELETE FROM t',
    'EXPLAIN (ANALYZE false) DELETE FROM t',
    'EXPLAIN (ANALYZE 0) DELETE FROM t',
    // Words in strings, comments and dollar quotes are not statements.
    "SELECT 'DROP TABLE things; DELETE FROM things'",
    '/* DELETE FROM things */ SELECT 1',
    'SELECT $tag$ TRUNCATE things $tag$',
    // Bodies run later, when called or triggered: not now.
    'CREATE FUNCTION wipe() RETURNS void LANGUAGE sql AS $$ DELETE FROM t $$',
    'CREATE FUNCTION wipe2() RETURNS void LANGUAGE sql BEGIN ATOMIC DELETE FROM t; END',
    'CREATE RULE r AS ON INSERT TO t DO INSTEAD DELETE FROM u',
    'ALTER TABLE things DROP CONSTRAINT things_price_check',
  ]) {
    test(`${JSON.stringify(query)} needs no confirmation`, () => {
      assert.equal(run(query).length, 1);
    });
  }
});

describe('protected system tables', () => {
  const cases: [string, string][] = [
    ['DELETE FROM sql_history WHERE true', 'sql_history'],
    [
      "INSERT INTO sql_snippets (name, sql_code, created_by) VALUES ('a', 'b', gen_random_uuid())",
      'sql_snippets',
    ],
    ['UPDATE public.system_config SET initialized = false WHERE id = 1', 'system_config'],
    ['TRUNCATE selfdb_migrations', 'selfdb_migrations'],
    ['DROP TABLE selfdb_schema_changes', 'selfdb_schema_changes'],
    ['ALTER TABLE sql_history ADD COLUMN x int', 'sql_history'],
    ['ALTER TABLE sql_history RENAME TO h', 'sql_history'],
    ['UPDATE pg_catalog.pg_class SET relname = relname WHERE false', 'pg_catalog'],
    ['UPDATE pg_class SET relname = relname WHERE false', 'pg_catalog'],
    ['DELETE FROM information_schema.tables WHERE true', 'information_schema'],
    ['DELETE FROM realtime.changes WHERE seq < 10', 'realtime'],
    ['DROP SCHEMA realtime CASCADE', 'realtime'],
    ['WITH x AS (SELECT 1) DELETE FROM sql_history WHERE true', 'sql_history'],
    ['SELECT 1; DELETE FROM sql_history WHERE id IS NULL', 'sql_history'],
    ['CREATE TRIGGER t AFTER INSERT ON sql_history FOR EACH ROW EXECUTE FUNCTION f()', 'sql_history'],
  ];
  for (const [query, table] of cases) {
    test(`${JSON.stringify(query)} → ${table}, even confirmed`, () => {
      const err = refusal(query, true);
      assert.equal(err.code, 'SQL_PROTECTED_TABLE');
      assert.equal(err.message, `Cannot modify protected system table: ${table}`);
    });
  }
  test('reading them is fine, and so is writing users and tables (admins manage those)', () => {
    assert.equal(
      run('SELECT * FROM sql_history; SELECT * FROM pg_class; SELECT * FROM realtime.changes').length,
      3,
    );
    assert.equal(run("UPDATE users SET role = 'ADMIN' WHERE email = 'a@b.c'").length, 1);
    assert.equal(run("UPDATE tables SET public = true WHERE name = 'x'").length, 1);
  });
});

describe('statements a pooled transaction cannot carry', () => {
  const refused = [
    'SET search_path = app',
    'SET SESSION statement_timeout = 0',
    'RESET ALL',
    'RESET statement_timeout',
    'SET ROLE nobody',
    'SET SESSION AUTHORIZATION nobody',
    'SET SESSION CHARACTERISTICS AS TRANSACTION READ WRITE',
    'COMMIT',
    'BEGIN',
    'ROLLBACK',
    "PREPARE TRANSACTION 'x'",
    'LISTEN channel',
    'PREPARE p AS SELECT 1',
    "LOAD 'auto_explain'",
    'DECLARE c CURSOR WITH HOLD FOR SELECT 1',
    'CREATE TEMP TABLE scratch (x int)',
    'CREATE TEMP TABLE scratch (x int) ON COMMIT DELETE ROWS',
    'CREATE TEMP TABLE scratch AS SELECT 1',
    'SELECT 1 INTO TEMP scratch',
    'CREATE TEMP VIEW v AS SELECT 1',
    'CREATE TEMP SEQUENCE s',
    'SELECT pg_advisory_lock(1)',
    'SELECT pg_try_advisory_lock_shared(1)',
    "SELECT set_config('search_path', 'app', false)",
    'COPY things FROM STDIN',
    'COPY things TO STDOUT',
    'DO $$ BEGIN PERFORM pg_advisory_lock(1); END $$',
  ];
  for (const query of refused) {
    test(`${JSON.stringify(query)} is refused`, () => {
      assert.equal(refusal(query, true).code, 'SQL_STATEMENT_NOT_ALLOWED');
    });
  }
  const allowed = [
    'SET LOCAL search_path = app',
    'SET LOCAL statement_timeout = 100',
    'SET TRANSACTION ISOLATION LEVEL SERIALIZABLE',
    'SAVEPOINT a',
    'ROLLBACK TO SAVEPOINT a',
    'RELEASE SAVEPOINT a',
    'CREATE TEMP TABLE scratch (x int) ON COMMIT DROP',
    'CREATE TEMP TABLE scratch ON COMMIT DROP AS SELECT 1',
    'DECLARE c CURSOR FOR SELECT 1',
    'SELECT pg_advisory_xact_lock(1)',
    "SELECT set_config('search_path', 'app', true)",
    "COPY things TO '/tmp/things.csv'",
  ];
  for (const query of allowed) {
    test(`${JSON.stringify(query)} is allowed`, () => assert.equal(run(query).length, 1));
  }
});

describe('parsing', () => {
  test('splits a script at its statements, by UTF-8 byte offsets', () => {
    assert.deepEqual(
      run('SELECT \'é;ü\' AS "naïve";\n/* two */ SELECT $$ ; $$;\n').map((s) => s.trim()),
      ['SELECT \'é;ü\' AS "naïve"', 'SELECT $$ ; $$'],
    );
  });
  test('understands Postgres syntax: dollar quotes, CTEs, casts, arrays, JSON operators', () => {
    const script = [
      'CREATE FUNCTION f() RETURNS int LANGUAGE plpgsql AS $fn$ BEGIN RETURN 1; END $fn$',
      "WITH x AS (INSERT INTO t (a) VALUES (1) RETURNING *) SELECT a::text, '{1,2}'::int[], '{}'::jsonb ->> 'k' FROM x",
    ].join(';\n');
    assert.equal(run(script).length, 2);
  });
  test('a syntax error answers Postgres’s message', () => {
    const err = refusal('SELEC 1');
    assert.equal(err.code, 'SQL_ERROR');
    assert.match(err.message, /syntax error at or near "SELEC"/);
  });
  test('a script without statements is refused', () => {
    for (const query of ['   ', '/* nothing */', ';;']) assert.equal(refusal(query).code, 'BAD_REQUEST');
  });
});
