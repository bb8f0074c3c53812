import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { SchemaEdge, SchemaNode } from '@selfdb/sdk';
import { depths, layoutSchema, NODE_WIDTH, nodeHeight } from './layout.ts';

const node = (id: string, columns = 2): SchemaNode => ({
  id,
  label: id,
  primary_keys: ['id'],
  columns: Array.from({ length: columns }, (_, i) => ({
    column_name: i === 0 ? 'id' : `c${i}`,
    data_type: 'integer',
    is_primary_key: i === 0,
  })),
});
const edge = (source: string, target: string): SchemaEdge => ({
  id: `${source}_${target}_fkey`,
  source,
  target,
  source_column: `${target}_id`,
  target_column: 'id',
});

test('depths: referenced tables first, chains deepen, self-references and cycles do not loop', () => {
  const nodes = [node('users'), node('orders'), node('items'), node('tree'), node('a'), node('b')];
  const edges = [
    edge('orders', 'users'),
    edge('items', 'orders'),
    edge('items', 'users'),
    edge('tree', 'tree'),
    edge('a', 'b'),
    edge('b', 'a'),
    edge('orders', 'missing'),
  ];
  const d = depths(nodes, edges);
  assert.equal(d.get('users'), 0);
  assert.equal(d.get('orders'), 1);
  assert.equal(d.get('items'), 2);
  assert.equal(d.get('tree'), 0);
  assert.ok([0, 1].includes(d.get('a') ?? -1) && [0, 1].includes(d.get('b') ?? -1));
});

test('layoutSchema: one column per depth, stacked by height without overlap, every node placed once', () => {
  const nodes = [node('users', 5), node('orders'), node('accounts', 3)];
  const placed = layoutSchema(nodes, [edge('orders', 'users')]);
  assert.equal(placed.length, 3);
  const at = Object.fromEntries(placed.map((p) => [p.id, p]));
  assert.equal(at.accounts?.x, 0);
  assert.equal(at.users?.x, 0);
  assert.ok((at.orders?.x ?? 0) >= NODE_WIDTH, 'the referencing table is right of the referenced one');
  // accounts sorts before users in column 0; users starts below it.
  assert.equal(at.accounts?.y, 0);
  assert.ok((at.users?.y ?? 0) >= nodeHeight(nodes[2] as SchemaNode));
  assert.deepEqual(layoutSchema([], []), []);
});
