// Every bad input gets the documented 4xx body and changes nothing.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { ADMIN, call, login, registerUser, startTestApp, type TestApp } from './helpers.ts';

let t: TestApp;
let adminToken: string;
let user: Awaited<ReturnType<typeof registerUser>>;

before(async () => {
  t = await startTestApp();
  adminToken = (await login(t.app, ADMIN.email, ADMIN.password)).access_token;
  user = await registerUser(t.app, 'victim@example.com');
});
after(() => t.close());

const userCount = async () =>
  (await call(t.app, 'GET', '/users/count', { token: adminToken })).body as unknown as number;
const JSON_TYPE = { 'content-type': 'application/json' };
const valid = { email: 'new@example.com', password: 'Passw0rd!', firstName: 'New', lastName: 'User' };

test('malformed JSON → 422 json_invalid', async () => {
  const before = await userCount();
  const response = await call(t.app, 'POST', '/users/', { body: '{"email": "a@b.c", ', headers: JSON_TYPE });
  assert.equal(response.status, 422);
  assert.equal(response.body.code, 'INVALID_JSON');
  assert.equal((response.body.detail as { type: string }[])[0]!.type, 'json_invalid');
  assert.equal(await userCount(), before);
});

test('prototype poisoning in JSON is refused', async () => {
  const response = await call(t.app, 'PATCH', `/users/${user.id}`, {
    token: user.access_token,
    body: '{"firstName":"x","__proto__":{"role":"ADMIN"}}',
    headers: JSON_TYPE,
  });
  assert.equal(response.status, 422);
  assert.equal((await call(t.app, 'GET', '/users/me', { token: user.access_token })).body.role, 'USER');
});

const BAD_REGISTRATIONS: [string, Record<string, unknown>, string][] = [
  ['unknown field', { ...valid, role: 'ADMIN' }, 'extra_forbidden'],
  ['missing field', { email: valid.email, password: valid.password, firstName: 'x' }, 'missing'],
  ['over-long first name', { ...valid, firstName: 'x'.repeat(101) }, 'maxLength'],
  ['empty last name', { ...valid, lastName: '' }, 'minLength'],
  ['NUL byte in a name', { ...valid, firstName: 'a\u0000b' }, 'pattern'],
  ['number as a name', { ...valid, firstName: 123 }, 'type'],
  ['not an email', { ...valid, email: "x'; DROP TABLE users; --" }, 'format'],
  ['over-long email', { ...valid, email: `${'a'.repeat(250)}@example.com` }, 'maxLength'],
  ['short password', { ...valid, password: 'Short1' }, 'minLength'],
  ['password with forbidden characters', { ...valid, password: "pass word'; --" }, 'pattern'],
  ['array instead of object', [valid] as unknown as Record<string, unknown>, 'type'],
];

for (const [name, body, type] of BAD_REGISTRATIONS) {
  test(`registration with ${name} → 422 ${type}, nothing written`, async () => {
    const before = await userCount();
    const response = await call(t.app, 'POST', '/users/', { body });
    assert.equal(response.status, 422, JSON.stringify(response.body));
    assert.equal(response.body.code, 'VALIDATION_FAILED');
    const detail = response.body.detail as unknown as { type: string; loc: unknown[]; msg: string }[];
    assert.equal(detail[0]?.type, type);
    assert.equal(detail[0]?.loc[0], 'body');
    assert.equal(await userCount(), before);
  });
}

test('SQL metacharacters in every string are stored and searched literally', async () => {
  const nasty = "Robert'); DROP TABLE users; --";
  const created = await call(t.app, 'POST', '/users/', {
    body: { email: 'bobby@example.com', password: 'Passw0rd!', firstName: nasty, lastName: '%_\\' },
  });
  assert.equal(created.status, 201);
  assert.equal(created.body.firstName, nasty);
  const search = async (term: string) =>
    (await call(t.app, 'GET', `/users/count?search=${encodeURIComponent(term)}`, { token: adminToken })).body;
  assert.equal(await search("'); DROP"), 1);
  assert.equal(await search('%'), 1, '% matches only a literal percent sign');
  assert.equal(await search('_'), 1);
  assert.ok((await userCount()) > 1, 'users table still there');
});

test('search outside printable ASCII or too long → 422', async () => {
  for (const term of ['é', 'x'.repeat(101), '\u0000']) {
    const response = await call(t.app, 'GET', `/users/?search=${encodeURIComponent(term)}`, {
      token: adminToken,
    });
    assert.equal(response.status, 422, term);
  }
});

test('list parameters out of range or of the wrong type → 422; unknown parameters → 400', async () => {
  for (const query of [
    'limit=0',
    'limit=101',
    'skip=-1',
    'skip=abc',
    'sort_by=password',
    'sort_order=sideways',
  ]) {
    assert.equal((await call(t.app, 'GET', `/users/?${query}`, { token: adminToken })).status, 422, query);
  }
  const unknown = await call(t.app, 'GET', '/users/?limit=5&foo=1&bar=2', { token: adminToken });
  assert.equal(unknown.status, 400);
  assert.deepEqual(unknown.body, {
    detail: 'Unknown query parameters: foo, bar',
    code: 'UNKNOWN_QUERY_PARAMETER',
  });
});

test('non-UUID ids → 404, as SelfDB 0.0.5', async () => {
  for (const id of ['123', 'not-a-uuid', "1' OR '1'='1", '..%2F..%2Fetc']) {
    for (const method of ['GET', 'PATCH', 'DELETE']) {
      const response = await call(t.app, method, `/users/${id}`, {
        token: adminToken,
        body: method === 'PATCH' ? {} : undefined,
      });
      assert.equal(response.status, 404, `${method} ${id}`);
      assert.equal(response.body.code, 'NOT_FOUND');
    }
  }
});

test('update with bad values → 422 and nothing changes', async () => {
  for (const body of [
    { role: 'SUPERUSER' },
    { isActive: 'no' },
    { email: 'bad' },
    { firstName: null, nickname: 'x' },
  ]) {
    const response = await call(t.app, 'PATCH', `/users/${user.id}`, { token: adminToken, body });
    assert.equal(response.status, 422, JSON.stringify(body));
  }
  const me = await call(t.app, 'GET', '/users/me', { token: user.access_token });
  assert.equal(me.body.role, 'USER');
  assert.equal(me.body.isActive, true);
});

test('null fields in an update are ignored, as SelfDB 0.0.5', async () => {
  const response = await call(t.app, 'PATCH', `/users/${user.id}`, {
    token: user.access_token,
    body: { firstName: null, lastName: 'Kept', email: null, password: null },
  });
  assert.equal(response.status, 200);
  assert.equal(response.body.firstName, 'Test');
  assert.equal(response.body.lastName, 'Kept');
});

test('login and refresh bodies are validated', async () => {
  const cases: [string, unknown][] = [
    ['/users/token', { email: ADMIN.email }],
    ['/users/token', { email: ADMIN.email, password: 'x'.repeat(73) }],
    ['/users/token', { email: ADMIN.email, password: ADMIN.password, remember: true }],
    ['/users/token/refresh', { refresh_token: '' }],
    ['/users/token/refresh', { refresh_token: 'x'.repeat(513) }],
    ['/users/token/refresh', {}],
  ];
  for (const [path, body] of cases) {
    assert.equal((await call(t.app, 'POST', path, { body })).status, 422, JSON.stringify(body));
  }
});

test('a wrong content type → 415; an oversized body → 413', async () => {
  const form = await call(t.app, 'POST', '/users/token', {
    body: 'email=a&password=b',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
  });
  assert.equal(form.status, 415);
  assert.equal(form.body.code, 'UNSUPPORTED_MEDIA_TYPE');
  const big = await call(t.app, 'POST', '/users/', { body: { ...valid, firstName: 'x'.repeat(2_000_000) } });
  assert.equal(big.status, 413);
  assert.equal(big.body.code, 'PAYLOAD_TOO_LARGE');
});

test('unknown routes → 404 with the error body', async () => {
  const response = await call(t.app, 'GET', '/nope');
  assert.deepEqual(response.body, { detail: 'Not Found', code: 'NOT_FOUND' });
});

const nestedObject = (levels: number) => `${'{"a":'.repeat(levels)}1${'}'.repeat(levels)}`;
const nestedArray = (levels: number) => `${'['.repeat(levels)}${']'.repeat(levels)}`;

test('JSON nested 4,500 or 5,000 levels → 400 JSON_TOO_DEEP on every JSON route; 128 levels still work', async () => {
  const table = await call(t.app, 'POST', '/tables/', {
    token: adminToken,
    body: { name: 'deep_docs', table_schema: { doc: { type: 'jsonb', nullable: true } } },
  });
  assert.equal(table.status, 201, JSON.stringify(table.body));
  const tableId = String(table.body.id);
  const rowCount = async () =>
    (await call(t.app, 'GET', `/tables/${tableId}/data`, { token: adminToken })).body.total;
  const inserted = await call(t.app, 'POST', `/tables/${tableId}/data`, {
    token: adminToken,
    body: { doc: { keep: 'me' } },
  });
  assert.equal(inserted.status, 200, JSON.stringify(inserted.body));
  const rowId = String((inserted.body.data as { id: string }).id);
  const users = await userCount();
  const rows = await rowCount();

  // Every operation with a JSON body, from the document; ids of real records where the route takes one.
  const document = (await call(t.app, 'GET', '/openapi.json')).body as unknown as {
    paths: Record<string, Record<string, { requestBody?: { content?: Record<string, unknown> } }>>;
  };
  const ids: Record<string, string> = {
    user_id: user.id,
    table_id: tableId,
    row_id: rowId,
    column_name: 'doc',
  };
  const operations = Object.entries(document.paths).flatMap(([path, item]) =>
    Object.entries(item)
      .filter(([, operation]) => operation.requestBody?.content?.['application/json'])
      .map(([method, _]) => [
        method.toUpperCase(),
        path.replace(
          /\{([^}]+)\}/g,
          (_m, name: string) => ids[name] ?? '00000000-0000-0000-0000-000000000000',
        ),
      ]),
  );
  assert.ok(operations.length >= 17, `found ${operations.length} JSON operations`);
  for (const [method, url] of operations) {
    for (const deep of [
      nestedObject(4500),
      nestedArray(5000),
      `{"doc":${nestedObject(4500)}}`,
      `[${nestedArray(5000)}]`,
    ]) {
      const response = await call(t.app, method!, url!, {
        token: adminToken,
        body: deep,
        headers: JSON_TYPE,
      });
      assert.equal(
        response.status,
        400,
        `${method} ${url}: ${response.status} ${JSON.stringify(response.body)}`,
      );
      assert.deepEqual(response.body, {
        detail: 'JSON body nested deeper than 128 levels of arrays and objects',
        code: 'JSON_TOO_DEEP',
      });
    }
  }
  // Refused before authentication, validation or the database see it.
  const anonymous = await call(t.app, 'POST', '/users/', { body: nestedArray(4500), headers: JSON_TYPE });
  assert.equal(anonymous.body.code, 'JSON_TOO_DEEP');
  assert.equal(await userCount(), users);
  assert.equal(await rowCount(), rows);
  const kept = await call(t.app, 'GET', `/tables/${tableId}/data`, { token: adminToken });
  assert.deepEqual(
    (kept.body.data as { doc: unknown }[]).map((row) => row.doc),
    [{ keep: 'me' }],
  );

  // At the limit: a body of 128 levels (a jsonb value of 127 inside the row object) is stored and read back.
  const atLimit = await call(t.app, 'POST', `/tables/${tableId}/data`, {
    token: adminToken,
    body: `{"doc":${nestedObject(127)}}`,
    headers: JSON_TYPE,
  });
  assert.equal(atLimit.status, 200, JSON.stringify(atLimit.body));
  assert.deepEqual((atLimit.body.data as { doc: unknown }).doc, JSON.parse(nestedObject(127)));
  const overLimit = await call(t.app, 'POST', `/tables/${tableId}/data`, {
    token: adminToken,
    body: `{"doc":${nestedObject(128)}}`,
    headers: JSON_TYPE,
  });
  assert.equal(overLimit.status, 400);
  assert.equal(overLimit.body.code, 'JSON_TOO_DEEP');
});
