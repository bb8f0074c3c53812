// Access rules of /tables and their data (SPEC §2.1). `user` owns a public and a private table; `other-user` owns
// nothing. A public table is read by anyone with the key and written by anyone signed in, but a row with a
// `user_id` is changed only by that user, the table's owner and admins; its schema only by the owner and admins.
// A private table does not exist for anyone but its owner and admins (404; 401 without a token).
import assert from 'node:assert/strict';
import { call } from '../helpers.ts';
import {
  type AccessContext,
  type Actor,
  describeAccess,
  type Expect,
  rows,
  SIGNED_IN_ONLY,
} from './scenario.ts';

interface Seed {
  tables: Record<'public' | 'private', { id: string; name: string }>;
}
type Ctx = Seed & AccessContext;
type Visibility = keyof Seed['tables'];

async function seed(ctx: AccessContext): Promise<Seed> {
  const tables = {} as Seed['tables'];
  for (const visibility of ['public', 'private'] as const) {
    const created = await call(ctx.app, 'POST', '/tables/', {
      token: ctx.user.token,
      body: {
        name: `${visibility}_notes`,
        public: visibility === 'public',
        table_schema: { note: { type: 'text' }, user_id: { type: 'uuid' } },
      },
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    tables[visibility] = { id: String(created.body.id), name: String(created.body.name) };
  }
  return { tables };
}

/** A fresh row of `owner` in the table, so that each row of the table finds it intact. */
async function freshRow(ctx: Ctx, visibility: Visibility, owner: 'user' | 'otherUser'): Promise<string> {
  const { rows: made } = await ctx.db.query<{ id: string }>(
    `INSERT INTO "${ctx.tables[visibility].name}" (note, user_id) VALUES ('original', $1) RETURNING id`,
    [ctx[owner].id],
  );
  lastRow = { table: ctx.tables[visibility].name, id: made[0]!.id };
  return made[0]!.id;
}

let lastRow = { table: '', id: '' };
/** A refused write left the row as it was. */
async function rowUnchanged(ctx: AccessContext) {
  const { rows: found } = await ctx.db.query(`SELECT note FROM "${lastRow.table}" WHERE id = $1`, [
    lastRow.id,
  ]);
  assert.deepEqual(found, [{ note: 'original' }], 'the refused write changed nothing');
}

const NOT_FOUND = { status: 404, code: 'NOT_FOUND' };
const FORBIDDEN = { status: 403, code: 'FORBIDDEN' };
/** The refusals of a signed-in route on a private table: anyone but its owner and admins gets 404. */
const PRIVATE = { ...SIGNED_IN_ONLY, 'other-user': NOT_FOUND };
/** Reading a public table: the key is enough, but a bad or deactivated token is refused, never read as anonymous. */
const PUBLIC_READ = {
  'no-api-key': SIGNED_IN_ONLY['no-api-key'],
  'wrong-api-key': SIGNED_IN_ONLY['wrong-api-key'],
  'anonymous-with-key': 200,
  'bad-token': SIGNED_IN_ONLY['bad-token'],
  'inactive-user': SIGNED_IN_ONLY['inactive-user'],
  user: 200,
  'other-user': 200,
  admin: 200,
} satisfies Partial<Record<Actor, Expect>>;

const table =
  (visibility: Visibility, suffix = '') =>
  (ctx: Ctx) =>
    `/tables/${ctx.tables[visibility].id}${suffix}`;
const row = (visibility: Visibility, owner: 'user' | 'otherUser') => async (ctx: Ctx) =>
  `/tables/${ctx.tables[visibility].id}/data/${await freshRow(ctx, visibility, owner)}`;

let column = 0;
const newColumn = () => ({ name: `c${++column}`, type: 'text' });

describeAccess<Seed>('tables access', {
  seed,
  scenarios: [
    ...rows(
      {
        name: 'create a table',
        method: 'POST',
        url: '/tables/',
        body: () => ({ name: `t${++column}`, table_schema: { a: 'text' } }),
      },
      { ...SIGNED_IN_ONLY, 'other-user': 201, admin: 201 },
    ),
    ...rows({ name: 'read a public table', method: 'GET', url: table('public') }, PUBLIC_READ),
    ...rows({ name: 'read public rows', method: 'GET', url: table('public', '/data') }, PUBLIC_READ),
    ...rows(
      { name: 'read a private table', method: 'GET', url: table('private') },
      { ...PRIVATE, user: 200, admin: 200 },
    ),
    ...rows(
      { name: 'read private rows', method: 'GET', url: table('private', '/data') },
      { ...PRIVATE, user: 200, admin: 200 },
    ),
    ...rows(
      {
        name: 'insert into a public table',
        method: 'POST',
        url: table('public', '/data'),
        body: { note: 'new' },
      },
      { ...SIGNED_IN_ONLY, user: 200, 'other-user': 200, admin: 200 },
    ),
    ...rows(
      {
        name: 'insert into a private table',
        method: 'POST',
        url: table('private', '/data'),
        body: { note: 'new' },
      },
      { ...PRIVATE, user: 200, admin: 200 },
    ),
    ...rows(
      {
        name: "update another's row of a public table",
        method: 'PATCH',
        url: row('public', 'user'),
        body: { note: 'x' },
        unchanged: rowUnchanged,
      },
      { ...SIGNED_IN_ONLY, 'other-user': NOT_FOUND },
    ),
    ...rows(
      {
        name: "update one's own row of a public table",
        method: 'PATCH',
        url: row('public', 'otherUser'),
        body: { note: 'x' },
        unchanged: rowUnchanged,
      },
      { 'other-user': 200, user: 200, admin: 200 },
    ),
    ...rows(
      {
        name: 'update a row of a private table',
        method: 'PATCH',
        url: row('private', 'otherUser'),
        body: { note: 'x' },
        unchanged: rowUnchanged,
      },
      { ...PRIVATE, user: 200, admin: 200 },
    ),
    ...rows(
      {
        name: "delete another's row of a public table",
        method: 'DELETE',
        url: row('public', 'user'),
        unchanged: rowUnchanged,
      },
      { ...SIGNED_IN_ONLY, 'other-user': NOT_FOUND },
    ),
    ...rows(
      {
        name: "delete one's own row of a public table",
        method: 'DELETE',
        url: row('public', 'otherUser'),
        unchanged: rowUnchanged,
      },
      { 'other-user': 200, user: 200, admin: 200 },
    ),
    ...rows(
      {
        name: 'delete a row of a private table',
        method: 'DELETE',
        url: row('private', 'otherUser'),
        unchanged: rowUnchanged,
      },
      { ...PRIVATE, user: 200, admin: 200 },
    ),
    ...rows(
      {
        name: 'add a column to a public table',
        method: 'POST',
        url: table('public', '/columns'),
        body: newColumn,
      },
      { ...SIGNED_IN_ONLY, 'other-user': FORBIDDEN, user: 200, admin: 200 },
    ),
    ...rows(
      {
        name: 'add a column to a private table',
        method: 'POST',
        url: table('private', '/columns'),
        body: newColumn,
      },
      { ...PRIVATE, user: 200, admin: 200 },
    ),
    ...rows(
      {
        name: 'change a public table',
        method: 'PATCH',
        url: table('public'),
        body: { description: 'changed' },
      },
      { ...SIGNED_IN_ONLY, 'other-user': FORBIDDEN, user: 200, admin: 200 },
    ),
    ...rows(
      { name: 'delete a public table', method: 'DELETE', url: table('public') },
      { ...SIGNED_IN_ONLY, 'other-user': FORBIDDEN },
    ),
    ...rows({ name: 'delete a private table', method: 'DELETE', url: table('private') }, { ...PRIVATE }),
  ],
});
