// Where each table of the schema graph goes: referenced tables to the left of the tables that point at them
// (columns by foreign-key depth), stacked by their height; cycles and self-references are cut. Pure, for tests.
import type { SchemaEdge, SchemaNode } from '@selfdb/sdk';

export const NODE_WIDTH = 240;
const COLUMN_GAP = 120;
const ROW_GAP = 40;
const HEADER_HEIGHT = 36;
const LINE_HEIGHT = 22;

export interface Placed {
  id: string;
  x: number;
  y: number;
}

export const nodeHeight = (node: SchemaNode) =>
  HEADER_HEIGHT + Math.max(1, node.columns.length) * LINE_HEIGHT;

/** Depth of a table: 0 when it references no other table, else 1 + the deepest table it references. */
export function depths(nodes: SchemaNode[], edges: SchemaEdge[]): Map<string, number> {
  const ids = new Set(nodes.map((node) => node.id));
  const targets = new Map<string, Set<string>>();
  for (const edge of edges) {
    if (edge.source === edge.target || !ids.has(edge.source) || !ids.has(edge.target)) continue;
    const set = targets.get(edge.source) ?? new Set<string>();
    set.add(edge.target);
    targets.set(edge.source, set);
  }
  const depth = new Map<string, number>();
  const visiting = new Set<string>();
  function visit(id: string): number {
    const known = depth.get(id);
    if (known !== undefined) return known;
    // A cycle (a references b references a): the edge back is ignored.
    if (visiting.has(id)) return -1;
    visiting.add(id);
    let value = 0;
    for (const target of targets.get(id) ?? []) value = Math.max(value, visit(target) + 1);
    visiting.delete(id);
    depth.set(id, value);
    return value;
  }
  for (const node of nodes) visit(node.id);
  return depth;
}

/** Positions of every node (top-left corners), in a stable order (by name within a column). */
export function layoutSchema(nodes: SchemaNode[], edges: SchemaEdge[]): Placed[] {
  const depth = depths(nodes, edges);
  const columns = new Map<number, SchemaNode[]>();
  for (const node of [...nodes].sort((a, b) => a.id.localeCompare(b.id))) {
    const d = depth.get(node.id) ?? 0;
    columns.set(d, [...(columns.get(d) ?? []), node]);
  }
  const placed: Placed[] = [];
  for (const [d, members] of [...columns.entries()].sort((a, b) => a[0] - b[0])) {
    let y = 0;
    for (const node of members) {
      placed.push({ id: node.id, x: d * (NODE_WIDTH + COLUMN_GAP), y });
      y += nodeHeight(node) + ROW_GAP;
    }
  }
  return placed;
}
