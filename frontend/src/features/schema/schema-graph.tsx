// The schema graph: React Flow (heavy, so this module is loaded on demand by schema-page.tsx). One node per table
// with its columns, types and primary key; one edge per foreign key, from the referencing table to the referenced.
import type { SchemaEdge, SchemaNode } from '@selfdb/sdk';
import {
  Background,
  Controls,
  type Edge,
  Handle,
  MarkerType,
  type Node,
  type NodeProps,
  Position,
  ReactFlow,
} from '@xyflow/react';
import '@xyflow/react/dist/style.css';
import { useMemo } from 'react';
import { layoutSchema, NODE_WIDTH } from './layout.ts';

type TableNode = Node<{ table: SchemaNode; foreignKeys: string[] }, 'table'>;

function TableNodeView({ data }: NodeProps<TableNode>) {
  const { table, foreignKeys } = data;
  return (
    <div
      className="overflow-hidden rounded-md border border-zinc-300 bg-white text-xs shadow-sm dark:border-zinc-700 dark:bg-zinc-900"
      style={{ width: NODE_WIDTH }}
      data-testid="schema-node"
      aria-label={`Table ${table.label}`}
    >
      {/* Foreign keys leave from the left (referenced tables sit to the left), references arrive on the right. */}
      <Handle type="source" position={Position.Left} className="!bg-zinc-400" isConnectable={false} />
      <Handle type="target" position={Position.Right} className="!bg-zinc-400" isConnectable={false} />
      <div className="border-b border-zinc-200 bg-zinc-50 px-2 py-1.5 font-semibold dark:border-zinc-800 dark:bg-zinc-800">
        {table.label}
      </div>
      <ul>
        {table.columns.map((column) => (
          <li key={column.column_name} className="flex items-center justify-between gap-2 px-2 py-0.5">
            <span className="truncate font-mono">
              {column.is_primary_key ? (
                <span title="Primary key" className="mr-1 text-amber-600">
                  PK
                </span>
              ) : null}
              {foreignKeys.includes(column.column_name) ? (
                <span title="Foreign key" className="mr-1 text-emerald-600">
                  FK
                </span>
              ) : null}
              {column.column_name}
            </span>
            <span className="shrink-0 text-zinc-500">{column.data_type}</span>
          </li>
        ))}
      </ul>
    </div>
  );
}

const NODE_TYPES = { table: TableNodeView };

export default function SchemaGraph({ nodes, edges }: { nodes: SchemaNode[]; edges: SchemaEdge[] }) {
  const flow = useMemo(() => {
    const positions = new Map(layoutSchema(nodes, edges).map((p) => [p.id, p]));
    const flowNodes: TableNode[] = nodes.map((table) => ({
      id: table.id,
      type: 'table',
      position: { x: positions.get(table.id)?.x ?? 0, y: positions.get(table.id)?.y ?? 0 },
      data: {
        table,
        foreignKeys: edges.filter((e) => e.source === table.id).map((e) => e.source_column),
      },
    }));
    const flowEdges: Edge[] = edges.map((edge) => ({
      id: edge.id,
      source: edge.source,
      target: edge.target,
      label: `${edge.source_column} → ${edge.target_column}`,
      markerEnd: { type: MarkerType.ArrowClosed },
      ariaLabel: `${edge.source}.${edge.source_column} references ${edge.target}.${edge.target_column}`,
    }));
    return { nodes: flowNodes, edges: flowEdges };
  }, [nodes, edges]);
  const dark = document.documentElement.classList.contains('dark');
  return (
    <div
      className="h-[32rem] rounded-lg border border-zinc-200 dark:border-zinc-800"
      data-testid="schema-graph"
    >
      <ReactFlow
        nodes={flow.nodes}
        edges={flow.edges}
        nodeTypes={NODE_TYPES}
        colorMode={dark ? 'dark' : 'light'}
        nodesConnectable={false}
        fitView
        minZoom={0.1}
      >
        <Background />
        <Controls showInteractive={false} />
      </ReactFlow>
    </div>
  );
}
