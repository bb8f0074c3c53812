import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import {
  exampleBody,
  filterOperations,
  type OpenApiDocument,
  operationsByTag,
  schemaFields,
  typeOf,
} from './openapi.ts';

// The document this repository's backend serves (the SDK is generated from it).
const DOCUMENT = JSON.parse(
  readFileSync(new URL('../../../../SDKs/typescript/openapi.json', import.meta.url), 'utf8'),
) as OpenApiDocument;

test('schemas read as short types', () => {
  assert.equal(typeOf({ $ref: '#/components/schemas/SqlSnippetRead' }), 'SqlSnippetRead');
  assert.equal(typeOf({ type: 'string', format: 'uuid' }), 'string (uuid)');
  assert.equal(typeOf({ type: 'array', items: { type: 'integer' } }), 'integer[]');
  assert.equal(typeOf({ anyOf: [{ type: 'string' }, { type: 'null' }] }), 'string | null');
  assert.equal(typeOf({ type: ['string', 'null'] }), 'string | null');
  assert.equal(typeOf({ enum: ['asc', 'desc'] }), '"asc" | "desc"');
  assert.equal(typeOf(undefined), 'any');
});

test("this install's document lists every operation under its tag, the API key header apart", () => {
  const tags = operationsByTag(DOCUMENT);
  const names = tags.map((t) => t.tag);
  assert.deepEqual(names, [...names].sort());
  const sql = tags.find((t) => t.tag === 'sql');
  assert.ok(sql);
  const query = sql.operations.find((op) => op.key === 'POST /sql/query');
  assert.ok(query);
  assert.equal(query.operationId, 'executeQuery');
  assert.equal(query.bearer, true);
  assert.equal(query.apiKey, true);
  assert.deepEqual(query.body, { contentType: 'application/json', type: 'SqlQueryRequest', required: true });
  assert.ok(!query.parameters.some((p) => p.name.toLowerCase() === 'x-api-key'));
  assert.equal(query.responses.find((r) => r.status === '200')?.type, 'SqlExecutionResult');
  const total = tags.reduce((n, t) => n + t.operations.length, 0);
  const expected = Object.values(DOCUMENT.paths ?? {}).reduce((n, item) => n + Object.keys(item).length, 0);
  assert.equal(total, expected);
  // Paths in order inside a tag; health needs no key.
  const health = tags.flatMap((t) => t.operations).find((op) => op.key === 'GET /health');
  assert.equal(health?.apiKey, false);
});

test('a search keeps matching operations, or a whole matching tag', () => {
  const tags = operationsByTag(DOCUMENT);
  const snippets = filterOperations(tags, 'snippet');
  assert.deepEqual(snippets.flatMap((t) => t.operations.map((op) => op.key)).sort(), [
    'DELETE /sql/snippets/{snippet_id}',
    'GET /sql/snippets',
    'POST /sql/snippets',
  ]);
  assert.equal(filterOperations(tags, 'SQL').find((t) => t.tag === 'sql')?.operations.length, 6);
  assert.deepEqual(filterOperations(tags, 'no such thing at all'), []);
  assert.equal(filterOperations(tags, '  '), tags);
});

test('a named schema lists its fields, required ones marked', () => {
  const fields = schemaFields(DOCUMENT, 'SqlSnippetCreate');
  assert.ok(fields);
  assert.deepEqual(
    fields.map((f) => [f.name, f.required]),
    [
      ['name', true],
      ['sql_code', true],
      ['description', false],
      ['is_shared', false],
    ],
  );
  assert.equal(schemaFields(DOCUMENT, 'NoSuchSchema'), null);
  assert.equal(operationsByTag({}).length, 0);
});

test('a body to start from holds the required fields with empty values', () => {
  assert.deepEqual(JSON.parse(exampleBody(DOCUMENT, 'SqlSnippetCreate')), { name: '', sql_code: '' });
  assert.deepEqual(JSON.parse(exampleBody(DOCUMENT, 'SqlQueryRequest')), { query: '' });
  assert.equal(exampleBody(DOCUMENT, 'NoSuchSchema'), '{}');
  const doc: OpenApiDocument = {
    components: {
      schemas: {
        X: {
          type: 'object',
          required: ['n', 'b', 'l', 'o'],
          properties: {
            n: { type: 'integer' },
            b: { type: 'boolean' },
            l: { type: 'array', items: { type: 'string' } },
            o: { $ref: '#/components/schemas/Y' },
            skipped: { type: 'string' },
          },
        },
      },
    },
  };
  assert.deepEqual(JSON.parse(exampleBody(doc, 'X')), { n: 0, b: false, l: [], o: {} });
});
