// The data API's query helpers build exactly the parameters the server parses (common/src/row-filter.ts).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseFilterCondition } from '@selfdb/common';
import { filterValue, orderValue, rowQuery } from '../src/query.ts';

test('filters, order, select, count and paging become the documented parameters', () => {
  assert.deepEqual(
    rowQuery({
      page: 2,
      pageSize: 50,
      search: 'ada',
      filters: [
        { column: 'price', op: 'gte', value: 10 },
        { column: 'price', op: 'lt', value: 20, not: true },
        { column: 'tag', op: 'in', value: ['a', 'b,c', 'say "hi"'] },
        { column: 'deleted_at', op: 'is', value: null },
      ],
      order: [
        { column: 'price', ascending: false },
        { column: 'name', nulls: 'last' },
      ],
      select: ['id', 'price'],
      count: 'none',
    }),
    {
      page: 2,
      page_size: 50,
      search: 'ada',
      order: 'price.desc,name.asc.nullslast',
      select: 'id,price',
      count: 'none',
      price: ['gte.10', 'not.lt.20'],
      tag: 'in.(a,"b,c","say \\"hi\\"")',
      deleted_at: 'is.null',
    },
  );
  assert.equal(orderValue([{ column: 'a' }]), 'a.asc');
  assert.throws(() => rowQuery({ filters: [{ column: 'page', op: 'eq', value: 1 }] }), /reserved/);
});

test('every value round-trips through the server-side parser', () => {
  const lists = [['a', 'b,c', ' padded ', 'back\\slash', '"quoted"', '(paren)', ''], ['x']];
  for (const values of lists) {
    const parsed = parseFilterCondition('c', filterValue({ column: 'c', op: 'in', value: values }));
    assert.deepEqual(parsed, { op: 'in', negate: false, values });
  }
  for (const value of ['plain', 'a.b', 'not.x', '1.5', '']) {
    const parsed = parseFilterCondition('c', filterValue({ column: 'c', op: 'neq', value, not: true }));
    assert.deepEqual(parsed, { op: 'neq', negate: true, value });
  }
  assert.deepEqual(parseFilterCondition('c', filterValue({ column: 'c', op: 'is', value: true })), {
    op: 'is',
    negate: false,
    value: 'true',
  });
});
