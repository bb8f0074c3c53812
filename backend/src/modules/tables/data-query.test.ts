import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AppError } from '@selfdb/common';
import { parseDataQuery } from './data-query.ts';
import type { MetaColumn, TableMeta } from './table-meta.ts';

const column = (name: string, kind: MetaColumn['kind'], type: string = kind): MetaColumn => ({
  name,
  kind,
  type,
  array: false,
  notNull: false,
  hasDefault: false,
  generated: false,
});
const columns = [
  column('id', 'uuid'),
  column('status', 'text'),
  column('price', 'number', 'numeric'),
  column('qty', 'integer'),
  column('done', 'boolean'),
];
const meta: TableMeta = {
  id: '00000000-0000-0000-0000-000000000001',
  name: 'items',
  public: true,
  owner_id: '00000000-0000-0000-0000-000000000002',
  realtimeEnabled: false,
  exists: true,
  columns: new Map(columns.map((c) => [c.name, c])),
  columnNames: columns.map((c) => c.name),
  primaryKey: ['id'],
  uniqueColumns: new Set(['id']),
  searchColumns: ['status'],
  ownerColumn: null,
  counted: true,
};
const code = (input: Record<string, unknown>) => {
  try {
    parseDataQuery(meta, input);
    return 'ok';
  } catch (err) {
    assert.ok(err instanceof AppError);
    return `${err.statusCode} ${err.code}`;
  }
};

test('upstream parameters: page, page_size, sort_by, sort_order', () => {
  const q = parseDataQuery(meta, { page: 3, page_size: 50, sort_by: 'price', sort_order: 'asc' });
  assert.equal(q.limit, 50);
  assert.equal(q.offset, 100);
  assert.deepEqual(q.order, [{ column: 'price', desc: false }]);
  assert.equal(q.count, 'exact');
  assert.deepEqual(parseDataQuery(meta, { sort_by: 'qty' }).order, [{ column: 'qty', desc: true }]);
  assert.equal(code({ sort_by: 'nope' }), '400 UNKNOWN_COLUMN');
});

test('filters: operators, not., repeated columns, values checked by type', () => {
  const q = parseDataQuery(meta, {
    status: 'eq.open',
    price: ['gte.10', 'lt.20'],
    qty: 'in.(1,2,3)',
    done: 'not.is.null',
  });
  assert.deepEqual(q.filters, [
    { column: 'status', op: 'eq', negate: false, value: 'open', cast: false },
    { column: 'price', op: 'gte', negate: false, value: '10', cast: false },
    { column: 'price', op: 'lt', negate: false, value: '20', cast: false },
    { column: 'qty', op: 'in', negate: false, values: ['1', '2', '3'] },
    { column: 'done', op: 'is', negate: true, value: 'null' },
  ]);
  assert.deepEqual(parseDataQuery(meta, { status: 'like.op*' }).filters[0], {
    column: 'status',
    op: 'like',
    negate: false,
    value: 'op%',
    cast: false,
  });
  assert.equal(code({ qty: 'eq.abc' }), '400 INVALID_VALUE');
  assert.equal(code({ id: 'eq.1 OR 1=1' }), '400 INVALID_VALUE');
  assert.equal(code({ status: 'contains.x' }), '400 INVALID_FILTER');
  assert.equal(code({ status: 'open' }), '400 INVALID_FILTER');
  assert.equal(code({ done: 'is.maybe' }), '400 INVALID_FILTER');
  assert.equal(code({ qty: 'in.1,2' }), '400 INVALID_FILTER');
  assert.equal(code({ 'status; DROP TABLE x': 'eq.1' }), '400 UNKNOWN_QUERY_PARAMETER');
});

test('order, select, count', () => {
  assert.deepEqual(parseDataQuery(meta, { order: 'price.desc.nullslast,qty' }).order, [
    { column: 'price', desc: true, nulls: 'last' },
    { column: 'qty', desc: false },
  ]);
  assert.deepEqual(parseDataQuery(meta, { select: 'id, status,id' }).columns, ['id', 'status']);
  assert.equal(parseDataQuery(meta, { select: '*' }).columns, null);
  assert.equal(parseDataQuery(meta, { count: 'none' }).count, 'none');
  assert.equal(code({ order: 'price.sideways' }), '400 INVALID_FILTER');
  assert.equal(code({ order: 'nope.desc' }), '400 UNKNOWN_COLUMN');
  assert.equal(code({ order: 'qty', sort_by: 'qty' }), '400 INVALID_FILTER');
  assert.equal(code({ select: 'id,password' }), '400 UNKNOWN_COLUMN');
  assert.equal(code({ select: '(SELECT 1)' }), '400 UNKNOWN_COLUMN');
  assert.equal(code({ count: 'planned' }), '400 INVALID_FILTER');
  assert.equal(code({ count: ['exact', 'none'] }), '400 INVALID_FILTER');
});

test('in. lists: quoted values may hold commas; each value is checked against the column', () => {
  assert.deepEqual(parseDataQuery(meta, { status: 'in.("a,b", c ,"d\\"e")' }).filters[0], {
    column: 'status',
    op: 'in',
    negate: false,
    values: ['a,b', 'c', 'd"e'],
  });
  assert.deepEqual(parseDataQuery(meta, { qty: 'not.in.()' }).filters[0], {
    column: 'qty',
    op: 'in',
    negate: true,
    values: [],
  });
  assert.equal(code({ qty: 'in.(1,x)' }), '400 INVALID_VALUE');
  assert.equal(code({ qty: `in.(${'1,'.repeat(1000)}1)` }), '400 INVALID_FILTER');
});
