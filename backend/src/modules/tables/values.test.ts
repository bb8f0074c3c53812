import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AppError } from '@selfdb/common';
import { ROW_TYPES, toColumnParam, toFilterParam, type ValueColumn } from './values.ts';

const col = (kind: ValueColumn['kind'], extra: Partial<ValueColumn> = {}): ValueColumn => ({
  name: 'c',
  kind,
  type: kind,
  array: false,
  ...extra,
});
const refused = (column: ValueColumn, value: unknown) =>
  assert.throws(
    () => toColumnParam(column, value),
    (err: unknown) => err instanceof AppError && err.code === 'INVALID_VALUE' && err.message.includes("'c'"),
    JSON.stringify(value),
  );

test('values are checked against their column and bound as parameters', () => {
  assert.equal(toColumnParam(col('text'), 'hi'), 'hi');
  assert.equal(toColumnParam(col('text'), 12), '12');
  assert.equal(toColumnParam(col('integer'), 12), '12');
  assert.equal(toColumnParam(col('bigint'), '9223372036854775807'), '9223372036854775807');
  assert.equal(toColumnParam(col('number'), 1.5), 1.5);
  assert.equal(toColumnParam(col('boolean'), false), false);
  assert.equal(toColumnParam(col('json'), { a: [1] }), '{"a":[1]}');
  assert.equal(toColumnParam(col('json'), 'text'), '"text"');
  assert.deepEqual(toColumnParam(col('integer', { array: true }), [1, null, '2']), ['1', null, '2']);
  assert.equal(toColumnParam(col('uuid'), null), null);
  refused(col('integer'), 1.5);
  refused(col('integer'), '2147483648');
  refused(col('integer'), 'abc');
  refused(col('bigint'), '9223372036854775808');
  refused(col('number'), 'NaN; DROP');
  refused(col('boolean'), 'yes');
  refused(col('uuid'), 'not-a-uuid');
  refused(col('text', { maxLength: 3 }), 'abcd');
  refused(col('text'), { a: 1 });
  refused(col('text'), 'a\0b');
  refused(col('text', { array: true }), 'a');
  refused(col('timestamp'), 12);
});

test('filter values come as text', () => {
  assert.equal(toFilterParam(col('boolean'), 'true'), true);
  assert.equal(toFilterParam(col('json'), '{"a":1}'), '{"a":1}');
  assert.equal(toFilterParam(col('integer', { array: true }), '{1,2}'), '{1,2}');
});

test('rows decode as SelfDB 0.0.5 answered them', () => {
  const parse = (oid: number, text: string) => ROW_TYPES.getTypeParser(oid as never)(text);
  assert.equal(parse(1700, '9.99'), 9.99);
  assert.equal(parse(1082, '2024-01-31'), '2024-01-31');
  assert.equal(parse(1184, '2024-01-31 10:00:00.123456+00'), '2024-01-31T10:00:00.123456+00:00');
  assert.equal(parse(1184, '2024-01-31 10:00:00+05:30'), '2024-01-31T10:00:00+05:30');
  assert.equal(parse(1114, '2024-01-31 10:00:00'), '2024-01-31T10:00:00');
  assert.deepEqual(parse(1231, '{1.5,NULL}'), [1.5, null]);
});
