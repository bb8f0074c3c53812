import assert from 'node:assert/strict';
import { test } from 'node:test';
import { columnsOf, kindOf, parseCellInput } from './columns.ts';

test('columns come from the flat table_schema or from JSON Schema properties', () => {
  assert.deepEqual(
    columnsOf({
      id: { type: 'UUID', nullable: false, default: 'gen_random_uuid()' },
      title: { type: 'text' },
    }),
    [
      { name: 'id', type: 'uuid', nullable: false, hasDefault: true },
      { name: 'title', type: 'text', nullable: true, hasDefault: false },
    ],
  );
  assert.deepEqual(columnsOf({ type: 'object', properties: { n: { type: 'integer' } } }), [
    { name: 'n', type: 'integer', nullable: true, hasDefault: false },
  ]);
});

test('typed text becomes the value the API gets, or a readable refusal', () => {
  const col = (type: string, nullable = true) => ({ name: 'c', type, nullable, hasDefault: false });
  assert.equal(kindOf('double precision'), 'number');
  assert.equal(parseCellInput(col('integer'), ''), null);
  assert.equal(parseCellInput(col('text', false), ''), '');
  assert.equal(parseCellInput(col('bigint'), ' 9007199254740993 '), '9007199254740993');
  assert.throws(() => parseCellInput(col('integer'), '12abc'), /not a number/);
  assert.equal(parseCellInput(col('boolean'), 'TRUE'), true);
  assert.equal(parseCellInput(col('boolean'), 'f'), false);
  assert.throws(() => parseCellInput(col('boolean'), 'yes'), /true or false/);
  assert.deepEqual(parseCellInput(col('jsonb'), '{"a":[1]}'), { a: [1] });
  assert.throws(() => parseCellInput(col('jsonb'), '{'), /not valid JSON/);
  assert.equal(parseCellInput(col('text'), '<b>hi</b>'), '<b>hi</b>');
});
