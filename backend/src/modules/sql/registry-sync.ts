import { isTableName, type Queryable, SELFDB_PUBLIC_TABLES } from '@selfdb/common';
import {
  type CatalogColumn,
  type CatalogTable,
  deleteRegistryRows,
  findCatalogColumns,
  findRegisteredNames,
  insertRegistryRows,
  renameRegistryRows,
  snapshotPublicTables,
  updateRegistrySchemas,
} from './registry-sync.repository.ts';

/**
 * Whether a table of `public` with this name belongs in the `tables` registry: it follows the tables API's name rule
 * (other names made in SQL stay out) and is none of SelfDB's own tables.
 */
export function isRegistrable(name: string): boolean {
  return isTableName(name) && !SELFDB_PUBLIC_TABLES.has(name) && !/^(sql_|selfdb_|pg_)/.test(name);
}

/** The short spellings the tables API uses (`varchar(20)`, `timestamptz`) for format_type()'s long ones. */
export function shortTypeName(formatted: string): string {
  const array = formatted.endsWith('[]');
  const base = array ? formatted.slice(0, -2) : formatted;
  const short = base
    .replace(/^character varying/, 'varchar')
    .replace(/^character\b/, 'char')
    .replace(/^(timestamp|time)(\(\d+\))? with time zone$/, (_, kind: string, p = '') => `${kind}tz${p}`)
    .replace(/^(timestamp|time)(\(\d+\))? without time zone$/, '$1$2');
  return array ? `${short}[]` : short;
}

/** A registry `table_schema` (SelfDB's flat format) for a table as the catalog describes it. */
export function tableSchemaFromCatalog(columns: CatalogColumn[]): Record<string, Record<string, unknown>> {
  return Object.fromEntries(
    columns.map((column) => {
      const entry: Record<string, unknown> = { type: shortTypeName(column.type), nullable: !column.not_null };
      if (column.default_expr !== null) entry.default = column.default_expr;
      if (column.primary_key) entry.primary_key = true;
      return [column.name, entry];
    }),
  );
}

/** Takes the "before" picture that `syncRegistry` compares with. */
export const snapshotTables = snapshotPublicTables;

/**
 * Makes the `tables` registry follow what a console script did to the catalog, inside the script's transaction:
 * a table it created is registered (private, owned by `ownerId`), a dropped one is unregistered, a renamed one keeps
 * its registry row under the new name, and a table whose columns changed gets a fresh `table_schema`. Tables are
 * matched by oid, never by reading the SQL text; changes committed meanwhile by other transactions are left to them.
 */
export async function syncRegistry(db: Queryable, before: CatalogTable[], ownerId: string): Promise<void> {
  const after = await snapshotPublicTables(db);
  const beforeByOid = new Map(before.map((table) => [table.oid, table]));
  const afterByName = new Map(after.map((table) => [table.name, table]));
  const afterOids = new Set(after.map((table) => table.oid));

  // A name still taken after the script by someone else's table keeps its row.
  const dropped = before
    .filter((table) => !afterOids.has(table.oid))
    .map((table) => table.name)
    .filter((name) => afterByName.get(name)?.mine ?? true);
  const created: CatalogTable[] = [];
  const renamed: { from: string; to: string; table: CatalogTable; columnsChanged: boolean }[] = [];
  const altered: CatalogTable[] = [];
  for (const table of after.filter((t) => t.mine)) {
    const old = beforeByOid.get(table.oid);
    if (!old) created.push(table);
    else if (old.name !== table.name)
      renamed.push({
        from: old.name,
        to: table.name,
        table,
        columnsChanged: old.signature !== table.signature,
      });
    else if (old.signature !== table.signature) altered.push(table);
  }
  if (dropped.length + created.length + renamed.length + altered.length === 0) return;

  const registered = await findRegisteredNames(db, [
    ...renamed.map((r) => r.from),
    ...altered.map((t) => t.name),
  ]);
  const moves = renamed.filter((r) => registered.has(r.from) && isRegistrable(r.to));
  const fresh = [...created, ...renamed.filter((r) => !registered.has(r.from)).map((r) => r.table)].filter(
    (table) => isRegistrable(table.name),
  );
  const fromNames = new Set(moves.map((r) => r.from));
  await deleteRegistryRows(db, [
    ...dropped,
    // Renamed to a name SelfDB does not register.
    ...renamed.filter((r) => registered.has(r.from) && !isRegistrable(r.to)).map((r) => r.from),
    // Rows left over for these names name tables that no longer exist (dropped outside the console).
    ...moves.map((r) => r.to).filter((name) => !fromNames.has(name)),
    ...fresh.map((table) => table.name),
  ]);
  await renameRegistryRows(db, moves);

  const described = [
    ...moves.filter((r) => r.columnsChanged).map((r) => r.table),
    ...altered.filter((table) => registered.has(table.name)),
    ...fresh,
  ];
  const columns = await findCatalogColumns(
    db,
    described.map((table) => table.oid),
  );
  const schemaOf = (table: CatalogTable) =>
    tableSchemaFromCatalog(columns.filter((column) => column.table_oid === table.oid));
  const freshOids = new Set(fresh.map((table) => table.oid));
  await updateRegistrySchemas(
    db,
    described
      .filter((table) => !freshOids.has(table.oid))
      .map((table) => ({ name: table.name, tableSchema: schemaOf(table) })),
  );
  await insertRegistryRows(
    db,
    ownerId,
    fresh.map((table) => ({ name: table.name, tableSchema: schemaOf(table) })),
  );
}
