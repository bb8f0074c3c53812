import { getSchemaVisualization, listSchemaChanges, unwrap } from '@selfdb/sdk';
import { lazy, Suspense, useState } from 'react';
import { Pager } from '../../components/ui/pager.tsx';
import { AsyncStatus, Badge, EmptyState, Loading, PageHeader } from '../../components/ui/states.tsx';
import { DataTable, Td, Th } from '../../components/ui/table.tsx';
import { formatDate } from '../../lib/format.ts';
import { useSelfDB } from '../../lib/session.tsx';
import { useAsync } from '../../lib/use-async.ts';

// React Flow is heavy: its chunk loads when the page has a graph to draw, never on the first load of the app.
const SchemaGraph = lazy(() => import('./schema-graph.tsx'));

const CHANGES_PAGE_SIZE = 25;

/** Schema: the graph of tables and their foreign keys, and the schema change log (every DDL, newest first). */
export function SchemaPage() {
  const selfdb = useSelfDB();
  const [page, setPage] = useState(1);

  const schema = useAsync(
    async function loadSchema() {
      return unwrap(await getSchemaVisualization({ client: selfdb.client }));
    },
    [selfdb],
  );
  const changes = useAsync(
    async function loadChanges() {
      return unwrap(
        await listSchemaChanges({
          client: selfdb.client,
          query: { skip: (page - 1) * CHANGES_PAGE_SIZE, limit: CHANGES_PAGE_SIZE },
        }),
      );
    },
    [selfdb, page],
  );

  return (
    <>
      <PageHeader
        title="Schema"
        description={
          schema.data
            ? `${schema.data.nodes.length} tables · ${schema.data.edges.length} foreign keys`
            : undefined
        }
      />
      <section aria-label="Schema graph" className="mb-8">
        <AsyncStatus state={schema} label="Loading the schema…" />
        {schema.data && schema.data.nodes.length === 0 ? (
          <EmptyState title="No tables yet">Tables you create show up here with their relations.</EmptyState>
        ) : null}
        {schema.data && schema.data.nodes.length > 0 ? (
          <Suspense fallback={<Loading label="Loading the graph…" />}>
            <SchemaGraph nodes={schema.data.nodes} edges={schema.data.edges} />
          </Suspense>
        ) : null}
      </section>

      <section aria-labelledby="schema-changes-title">
        <h2 id="schema-changes-title" className="mb-1 text-lg font-semibold">
          Change log
        </h2>
        <p className="mb-3 text-sm text-zinc-500">
          Every schema change (CREATE, ALTER, DROP…) from the API, the SQL Editor or any other client.
        </p>
        <AsyncStatus state={changes} />
        {changes.data && changes.data.changes.length === 0 ? (
          <EmptyState title="No schema changes recorded yet" />
        ) : null}
        {changes.data && changes.data.changes.length > 0 ? (
          <>
            <DataTable label="Schema changes">
              <thead>
                <tr>
                  <Th>When</Th>
                  <Th>Command</Th>
                  <Th>Object</Th>
                  <Th>By</Th>
                  <Th>Client</Th>
                </tr>
              </thead>
              <tbody>
                {changes.data.changes.map((change) => (
                  <tr key={change.id} data-testid="schema-change-row">
                    <Td className="whitespace-nowrap text-zinc-500">{formatDate(change.occurred_at)}</Td>
                    <Td>
                      <Badge
                        tone={
                          change.command_tag.startsWith('DROP')
                            ? 'red'
                            : change.command_tag.startsWith('CREATE')
                              ? 'emerald'
                              : 'amber'
                        }
                      >
                        {change.command_tag}
                      </Badge>
                    </Td>
                    <Td className="font-mono text-xs">
                      {change.object_identity ?? ''}
                      {change.object_type ? (
                        <span className="ml-1 font-sans text-zinc-500">({change.object_type})</span>
                      ) : null}
                    </Td>
                    <Td>{change.user_email ?? change.db_user}</Td>
                    <Td className="text-zinc-500">{change.application_name ?? ''}</Td>
                  </tr>
                ))}
              </tbody>
            </DataTable>
            <Pager page={page} pageSize={CHANGES_PAGE_SIZE} total={changes.data.total} onPage={setPage} />
          </>
        ) : null}
      </section>
    </>
  );
}
