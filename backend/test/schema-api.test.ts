// /schema: SelfDB 0.0.5's visualization (tables as nodes with columns and primary keys, foreign keys as edges) and
// table list, plus the change log route; admin only.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { ADMIN, call, login, registerUser, startTestApp, type TestApp } from './helpers.ts';

let t: TestApp;
let adminToken: string;
let userToken: string;

before(async () => {
  t = await startTestApp();
  adminToken = (await login(t.app, ADMIN.email, ADMIN.password)).access_token;
  userToken = (await registerUser(t.app, 'viewer@example.com')).access_token;
  const db = new pg.Client({ connectionString: t.db.directUrl });
  await db.connect();
  await db.query(`
    CREATE TABLE authors (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), name text NOT NULL);
    CREATE TABLE books (
      id serial PRIMARY KEY,
      author_id uuid REFERENCES authors (id),
      title varchar(200)
    );
    CREATE TABLE editions (
      book_id int, number int, printed date,
      PRIMARY KEY (book_id, number),
      CONSTRAINT editions_book_fk FOREIGN KEY (book_id) REFERENCES books (id)
    );
    CREATE TABLE reprints (
      book_id int, edition int,
      CONSTRAINT reprints_edition_fk FOREIGN KEY (book_id, edition) REFERENCES editions (book_id, number)
    );
    CREATE TABLE _hidden (x int);
    CREATE SCHEMA other;
    CREATE TABLE other.elsewhere (x int);`);
  await db.end();
});
after(() => t.close());

type Actor = 'nokey' | 'anonymous' | 'user' | 'admin';
const OPERATIONS = ['/schema/visualization', '/schema/tables', '/schema/changes'];
const EXPECT: Record<Actor, number> = { nokey: 406, anonymous: 401, user: 403, admin: 200 };

describe('/schema authorization', () => {
  for (const path of OPERATIONS) {
    for (const actor of Object.keys(EXPECT) as Actor[]) {
      test(`GET ${path} as ${actor} → ${EXPECT[actor]}`, async () => {
        const r = await call(t.app, 'GET', path, {
          token: actor === 'admin' ? adminToken : actor === 'user' ? userToken : undefined,
          apiKey: actor === 'nokey' ? null : undefined,
        });
        assert.equal(r.status, EXPECT[actor], JSON.stringify(r.body));
        if (actor === 'user') assert.equal(r.body.detail, 'Admin access required for schema visualization');
      });
    }
  }
});

describe('GET /schema/visualization', () => {
  let body: {
    nodes: { id: string; label: string; columns: Record<string, unknown>[]; primary_keys: string[] }[];
    edges: Record<string, string>[];
  };
  before(async () => {
    body = (await call(t.app, 'GET', '/schema/visualization', { token: adminToken })).body as never;
  });

  test('user tables and SelfDB’s data tables are nodes; bookkeeping and other schemas are not', () => {
    const ids = body.nodes.map((n) => n.id);
    for (const name of ['authors', 'books', 'editions', 'reprints', 'users', 'tables', 'buckets', 'files'])
      assert.ok(ids.includes(name), name);
    for (const name of [
      'sql_history',
      'sql_snippets',
      'selfdb_migrations',
      'selfdb_schema_changes',
      '_hidden',
      'elsewhere',
    ])
      assert.ok(!ids.includes(name), name);
    assert.deepEqual(ids, [...ids].sort());
  });

  test('a node has its columns in order, with types, defaults and primary keys', () => {
    const books = body.nodes.find((n) => n.id === 'books')!;
    assert.equal(books.label, 'books');
    assert.deepEqual(books.primary_keys, ['id']);
    assert.deepEqual(books.columns, [
      {
        column_name: 'id',
        data_type: 'integer',
        column_default: "nextval('books_id_seq'::regclass)",
        is_primary_key: true,
      },
      { column_name: 'author_id', data_type: 'uuid', column_default: null, is_primary_key: false },
      { column_name: 'title', data_type: 'character varying', column_default: null, is_primary_key: false },
    ]);
    assert.deepEqual(body.nodes.find((n) => n.id === 'editions')!.primary_keys, ['book_id', 'number']);
  });

  test('foreign keys are edges, one per column pair', () => {
    const edges = body.edges.filter((e) => ['books', 'editions', 'reprints'].includes(e.source!));
    assert.deepEqual(
      edges.sort((a, b) => a.id!.localeCompare(b.id!)),
      [
        {
          id: 'books_author_id_fkey',
          source: 'books',
          target: 'authors',
          source_column: 'author_id',
          target_column: 'id',
        },
        {
          id: 'editions_book_fk',
          source: 'editions',
          target: 'books',
          source_column: 'book_id',
          target_column: 'id',
        },
        {
          id: 'reprints_edition_fk.book_id',
          source: 'reprints',
          target: 'editions',
          source_column: 'book_id',
          target_column: 'book_id',
        },
        {
          id: 'reprints_edition_fk.edition',
          source: 'reprints',
          target: 'editions',
          source_column: 'edition',
          target_column: 'number',
        },
      ],
    );
    // Edges only join shown nodes (sql_history.user_id → users is not drawn).
    const ids = new Set(body.nodes.map((n) => n.id));
    assert.ok(body.edges.every((e) => ids.has(e.source!) && ids.has(e.target!)));
  });
});

describe('GET /schema/tables', () => {
  test('the names of the shown tables, sorted', async () => {
    const r = await call(t.app, 'GET', '/schema/tables', { token: adminToken });
    const visual = await call(t.app, 'GET', '/schema/visualization', { token: adminToken });
    assert.deepEqual(
      r.body,
      (visual.body.nodes as { id: string }[]).map((n) => n.id),
    );
    assert.ok((r.body as string[]).includes('authors'));
  });
});
