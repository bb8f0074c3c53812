// The generated OpenAPI document keeps SelfDB 0.0.5's contract for every operation built so far: same paths,
// methods, parameters, request and response field names, and status codes; stable camelCase operationIds.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { before, test } from 'node:test';
import { exportOpenApi } from '../src/export-openapi.ts';

type Schema = { $ref?: string; properties?: Record<string, unknown>; items?: Schema; type?: string };
type Operation = {
  operationId?: string;
  parameters?: { name: string; in: string; required?: boolean }[];
  requestBody?: { required?: boolean; content: Record<string, { schema: Schema }> };
  responses: Record<string, { content?: Record<string, { schema: Schema }> }>;
};
type Document = {
  openapi: string;
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, Schema> };
};

const reference = JSON.parse(
  readFileSync(new URL('./fixtures/selfdb-0.0.5-openapi.json', import.meta.url), 'utf8'),
) as Document;
let ours: Document;
before(async () => {
  ours = JSON.parse(await exportOpenApi()) as Document;
});

/** Property names of a (possibly $ref'd, possibly array) schema. */
function fieldNames(doc: Document, schema: Schema | undefined): string[] {
  if (!schema) return [];
  if (schema.$ref) return fieldNames(doc, doc.components.schemas[schema.$ref.split('/').pop()!]);
  if (schema.items) return fieldNames(doc, schema.items).map((name) => `[]${name}`);
  return Object.keys(schema.properties ?? {}).sort();
}

const AREAS = ['/users', '/sql', '/schema', '/tables', '/storage', '/backups', '/functions', '/webhooks'];
/** Response fields added on purpose (docs/compatibility.md); every reference field must still be there. */
const ADDED_RESPONSE_FIELDS = new Set(
  ['file_size_limit', 'allowed_mime_types', 'deployed_version', 'triggers'].flatMap((f) => [f, `[]${f}`]),
);
/** Parameters made optional on purpose (docs/compatibility.md): a form upload takes its filename from the file part. */
const RELAXED_PARAMETERS = new Set(['post /storage/files/upload query:filename']);
/** Operations whose body the reference does not describe and ours does: the upload's raw and form bodies. */
const DESCRIBED_BODIES = new Set(['post /storage/files/upload']);
/** Operations whose success body the reference leaves untyped (`{}`) and ours describes. */
const DESCRIBED_RESPONSES = new Set([
  'post /functions/{function_name}/execution-result',
  'post /webhooks/trigger/{webhook_token}',
]);
/** Optional parameters SelfDB adds on purpose (docs/compatibility.md), as `METHOD path in:name`. */
const ADDED_PARAMETERS = new Set([
  'post /backups/restore header:x-restore-token',
  // The data API's own parameters, typed for generated clients (issue 17).
  'get /tables/{table_id}/data query:order',
  'get /tables/{table_id}/data query:select',
  'get /tables/{table_id}/data query:count',
  'get /tables/{table_id}/data query:filters',
  'post /tables/{table_id}/data query:on_conflict',
]);
/** Success statuses SelfDB adds on purpose: a Range request's partial download. */
const ADDED_SUCCESS = new Set(['get /storage/files/download/{bucket_name}/{path} 206']);
const referenceOperations = Object.entries(reference.paths)
  .filter(([path]) => AREAS.some((area) => path.startsWith(area)))
  .flatMap(([path, item]) => Object.entries(item).map(([method, op]) => ({ path, method, op })));

test('the document is OpenAPI 3.1 and every operation has a unique camelCase operationId', () => {
  assert.equal(ours.openapi, '3.1.0');
  const ids = Object.values(ours.paths).flatMap((item) => Object.values(item).map((op) => op.operationId));
  assert.ok(
    ids.every((id) => typeof id === 'string' && /^[a-z][a-zA-Z]+$/.test(id)),
    JSON.stringify(ids),
  );
  assert.equal(new Set(ids).size, ids.length);
});

test('every operation of SelfDB 0.0.5 in the covered areas is there', () => {
  // 11 /users, 6 /sql, 2 /schema, 13 /tables operations so far.
  for (const area of AREAS)
    assert.ok(
      referenceOperations.some(({ path }) => path.startsWith(area)),
      `the reference has ${area} operations`,
    );
  assert.equal(referenceOperations.filter(({ path }) => path.startsWith('/users')).length, 11);
  assert.equal(referenceOperations.filter(({ path }) => path.startsWith('/tables')).length, 13);
  assert.equal(referenceOperations.filter(({ path }) => path.startsWith('/storage')).length, 15);
  assert.equal(referenceOperations.filter(({ path }) => path.startsWith('/backups')).length, 5);
  for (const { path, method } of referenceOperations)
    assert.ok(ours.paths[path]?.[method], `${method} ${path}`);
});

for (const { path, method, op: theirs } of referenceOperations) {
  test(`${method.toUpperCase()} ${path} matches the reference`, () => {
    const mine = ours.paths[path]?.[method];
    assert.ok(mine, 'operation exists');
    const params = (op: Operation) =>
      (op.parameters ?? [])
        .filter((p) => !(ADDED_PARAMETERS.has(`${method} ${path} ${p.in}:${p.name}`) && !p.required))
        .map((p) => {
          const relaxed = RELAXED_PARAMETERS.has(`${method} ${path} ${p.in}:${p.name}`);
          return `${p.in}:${p.name}:${relaxed ? 'either' : Boolean(p.required)}`;
        })
        .sort();
    assert.deepEqual(params(mine), params(theirs), 'parameters');
    const described = DESCRIBED_BODIES.has(`${method} ${path}`);
    assert.equal(Boolean(mine.requestBody), described || Boolean(theirs.requestBody), 'has a body');
    if (theirs.requestBody) {
      assert.equal(
        Boolean(mine.requestBody?.required),
        Boolean(theirs.requestBody.required),
        'body required',
      );
      const wanted = fieldNames(reference, theirs.requestBody.content['application/json']?.schema);
      const got = fieldNames(ours, mine.requestBody?.content['application/json']?.schema);
      for (const field of wanted) assert.ok(got.includes(field), `body field ${field}`);
    }
    const success = (op: Operation) =>
      Object.keys(op.responses).filter(
        (code) => code.startsWith('2') && !ADDED_SUCCESS.has(`${method} ${path} ${code}`),
      );
    assert.deepEqual(success(mine), success(theirs), 'success status');
    const code = success(theirs)[0]!;
    // Where the reference leaves the body untyped, ours may describe it (the reference has no fields to keep).
    const untypedInReference = DESCRIBED_RESPONSES.has(`${method} ${path}`);
    assert.deepEqual(
      fieldNames(ours, mine.responses[code]?.content?.['application/json']?.schema).filter(
        (field) => !ADDED_RESPONSE_FIELDS.has(field) && !untypedInReference,
      ),
      fieldNames(reference, theirs.responses[code]?.content?.['application/json']?.schema),
      'response fields',
    );
    // 405 is not documented: like every Fastify app, SelfDB answers an unknown method with 404.
    for (const errorCode of Object.keys(theirs.responses).filter((c) => c !== '405' && !c.startsWith('2'))) {
      assert.ok(mine.responses[errorCode], `documents ${errorCode}`);
    }
  });
}
