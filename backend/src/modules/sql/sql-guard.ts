import type * as LibPgQuery from 'libpg-query';
import { AppError, CONSOLE_READ_ONLY_TABLES, ErrorCode, SELFDB_SCHEMAS } from '@selfdb/common';

/** SelfDB 0.0.5's answer to a blocked pattern, kept word for word. */
export const PROHIBITED_MESSAGE = 'Query contains prohibited pattern for security reasons';

// SelfDB 0.0.5's blocklist, applied to the raw text as it did (so it also matches inside strings and comments).
const PROHIBITED_PATTERNS = [
  /\bpg_read_file\b/i,
  /\bpg_write_file\b/i,
  /\bpg_ls_dir\b/i,
  /\blo_import\b/i,
  /\blo_export\b/i,
  /\bexecute\s+format\b/i,
  /;\s*--/i,
];
const SPACE = /\s/;
const WORD = /\w/;
const PROGRAM_KEYWORD = /(?:to|from)\s+program\b/iy;

/**
 * Whether `query` matches SelfDB 0.0.5's `\bcopy\s+.*\s+(to|from)\s+program\b` (Python semantics: `.` is anything
 * but \n, `\s` includes it), decided in one pass: the regex itself backtracks quadratically (a 100 KB line of
 * `copy copy …` took seconds). Tracks which parts of the pattern the text since some `copy` can still be: A1/A2 the
 * whitespace right after it (one / several characters), B a newline-free middle, C whitespace holding a newline
 * after the middle. `to program` preceded by whitespace completes a match from A2, B or C.
 */
export function copiesToOrFromProgram(query: string): boolean {
  let a1 = false;
  let a2 = false;
  let b = false;
  let c = false;
  for (let i = 0; i < query.length; i++) {
    const ch = query[i]!;
    const space = SPACE.test(ch);
    if ((a2 || b || c) && !space && SPACE.test(query[i - 1] ?? '')) {
      PROGRAM_KEYWORD.lastIndex = i;
      if (PROGRAM_KEYWORD.test(query)) return true;
    }
    const wasA: boolean = a1 || a2;
    [a1, a2, b, c] = [
      false,
      wasA && space,
      (wasA && !space) || (b && ch !== '\n'),
      (b && ch === '\n') || (c && space),
    ];
    // A `copy` word that this whitespace follows starts a new candidate.
    if (space && i >= 4 && query.slice(i - 4, i).toLowerCase() === 'copy' && !WORD.test(query[i - 5] ?? ''))
      a1 = true;
  }
  return false;
}

// The same functions found by the parser (which also catches `COPY … PROGRAM` split over lines), plus the binary
// sibling of pg_read_file.
const PROHIBITED_FUNCTIONS = new Set([
  'pg_read_file',
  'pg_read_binary_file',
  'pg_write_file',
  'pg_ls_dir',
  'lo_import',
  'lo_export',
]);
// Session-level advisory locks outlive the transaction and would stay held by a pooled server connection.
const SESSION_LOCK_FUNCTIONS = new Set([
  'pg_advisory_lock',
  'pg_advisory_lock_shared',
  'pg_try_advisory_lock',
  'pg_try_advisory_lock_shared',
]);
/** Tables (of `public`) the console may read but never write or alter: the console's own audit trail and SelfDB's. */
const PROTECTED_TABLES = CONSOLE_READ_ONLY_TABLES;
/** Schemas whose relations the console may read but never write or alter. */
const PROTECTED_SCHEMAS = new Set(['pg_catalog', 'information_schema', ...SELFDB_SCHEMAS]);
const CURSOR_OPT_HOLD = 0x20;
const SAVEPOINT_KINDS = new Set(['TRANS_STMT_SAVEPOINT', 'TRANS_STMT_RELEASE', 'TRANS_STMT_ROLLBACK_TO']);
const MAX_NESTING = 3;

type AstNode = Record<string, unknown>;
interface RangeVar {
  schemaname?: string;
  relname?: string;
  relpersistence?: string;
}

interface Findings {
  prohibited: boolean;
  notAllowed: string[];
  protectedTables: string[];
  destructive: string[];
}

type Parser = Pick<typeof LibPgQuery, 'parsePlPgSQLSync' | 'parseSync'>;
let parser: Parser | undefined;
let parserLoaded: Promise<void> | undefined;
/**
 * Loads the Postgres parser (WebAssembly) once, on first use; must be awaited before `checkScript`. Importing the
 * package instantiates its WebAssembly at once (~130 MB reserved), which an idle backend should not pay.
 */
export function loadSqlParser(): Promise<void> {
  parserLoaded ??= import('libpg-query').then(async (module) => {
    await module.loadModule();
    parser = module;
  });
  return parserLoaded;
}

function loadedParser(): Parser {
  if (!parser) throw new Error('The SQL parser is not loaded: await loadSqlParser() first');
  return parser;
}

const isObject = (value: unknown): value is AstNode =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const asArray = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);
const quoted = (name: string) => `"${name}"`;

function stringValue(node: unknown): string | undefined {
  const str = isObject(node) ? node.String : undefined;
  return isObject(str) && typeof str.sval === 'string' ? str.sval : undefined;
}

function relationLabel(rel: RangeVar): string {
  return quoted(rel.schemaname ? `${rel.schemaname}.${rel.relname}` : String(rel.relname));
}

/** The protected name a relation hits (as SelfDB 0.0.5 reported it), or null. */
function protectedName(schema: string | undefined, name: string): string | null {
  if (schema && PROTECTED_SCHEMAS.has(schema)) return schema;
  // pg_catalog comes first on every search path, so an unqualified pg_* relation is a catalog.
  if (!schema && name.startsWith('pg_')) return 'pg_catalog';
  if ((!schema || schema === 'public') && PROTECTED_TABLES.has(name)) return name;
  return null;
}

function isTrueLiteral(node: unknown): boolean {
  const constant = isObject(node) ? node.A_Const : undefined;
  const boolval = isObject(constant) ? constant.boolval : undefined;
  return isObject(boolval) && boolval.boolval === true;
}

/** EXPLAIN runs its statement only with ANALYZE (and not `ANALYZE false|off|0`). */
function explainRuns(node: AstNode): boolean {
  return asArray(node.options).some((option) => {
    const def = isObject(option) ? option.DefElem : undefined;
    if (!isObject(def) || def.defname !== 'analyze') return false;
    if (def.arg === undefined) return true;
    const integer = isObject(def.arg) ? def.arg.Integer : undefined;
    if (isObject(integer)) return Boolean(integer.ival);
    return !/^(false|off|no|0)$/i.test(stringValue(def.arg) ?? '');
  });
}

/** Statements inside a PL/pgSQL `DO` block, so the checks see through it (dynamic EXECUTE strings excepted). */
function doBlockStatements(node: AstNode): AstNode[] {
  let body: string | undefined;
  let language = 'plpgsql';
  for (const arg of asArray(node.args)) {
    const def = isObject(arg) ? arg.DefElem : undefined;
    if (!isObject(def)) continue;
    if (def.defname === 'as') body = stringValue(def.arg);
    if (def.defname === 'language') language = stringValue(def.arg) ?? language;
  }
  if (body === undefined || language.toLowerCase() !== 'plpgsql') return [];
  let tag = '$selfdb$';
  for (let n = 1; body.includes(tag); n++) tag = `$selfdb${n}$`;
  const queries: string[] = [];
  const collect = (value: unknown) => {
    if (Array.isArray(value)) return value.forEach(collect);
    if (!isObject(value)) return;
    const expr = value.PLpgSQL_expr;
    if (isObject(expr) && typeof expr.query === 'string' && !expr.parseMode) queries.push(expr.query);
    Object.values(value).forEach(collect);
  };
  try {
    collect(
      loadedParser().parsePlPgSQLSync(
        `CREATE FUNCTION selfdb_do() RETURNS void LANGUAGE plpgsql AS ${tag}${body}${tag}`,
      ),
    );
  } catch {
    return []; // Postgres reports the block's syntax error when it runs.
  }
  return queries.flatMap((query) => {
    try {
      return asArray(loadedParser().parseSync(query).stmts).filter(isObject);
    } catch {
      return [];
    }
  });
}

/** Walks one statement's syntax tree and records what the console must refuse or have confirmed. */
function inspectStatement(root: unknown, where: string, findings: Findings, depth = 0) {
  const refuse = (text: string) => findings.notAllowed.push(where ? `${where}: ${text}` : text);
  const confirm = (text: string) => findings.destructive.push(where ? `${text} (${where})` : text);
  const protect = (schema: string | undefined, name: string | undefined) => {
    const hit = name ? protectedName(schema, name) : null;
    if (hit) findings.protectedTables.push(hit);
  };
  const protectRel = (rel: unknown) => {
    if (isObject(rel)) protect((rel as RangeVar).schemaname, (rel as RangeVar).relname);
  };
  const temporary = (rel: unknown, dropsOnCommit: boolean, what: string) => {
    if (isObject(rel) && rel.relpersistence === 't' && !dropsOnCommit)
      refuse(`${what} outlives the transaction (make it ON COMMIT DROP)`);
  };

  /** Returns false when the node's children must not be inspected (they do not run now). */
  const visitNode = (type: string, node: AstNode): boolean => {
    switch (type) {
      case 'UpdateStmt':
      case 'DeleteStmt': {
        protectRel(node.relation);
        const verb = type === 'UpdateStmt' ? 'UPDATE' : 'DELETE';
        if (!node.whereClause)
          confirm(`${verb} without WHERE on ${relationLabel(node.relation as RangeVar)}`);
        return true;
      }
      case 'InsertStmt':
      case 'MergeStmt':
      case 'AlterTableStmt':
      case 'RenameStmt':
      case 'CreateTrigStmt':
      case 'CreatePolicyStmt':
      case 'AlterPolicyStmt':
      case 'RuleStmt':
        protectRel(node.relation);
        if (type === 'AlterTableStmt') {
          for (const cmd of asArray(node.cmds)) {
            const alter = isObject(cmd) ? cmd.AlterTableCmd : undefined;
            if (isObject(alter) && alter.subtype === 'AT_DropColumn')
              confirm(
                `ALTER TABLE ${relationLabel(node.relation as RangeVar)} DROP COLUMN ${quoted(String(alter.name))}`,
              );
          }
        }
        return type !== 'RuleStmt'; // a rule's actions run later, on the rule's event
      case 'TruncateStmt': {
        const rels = asArray(node.relations).map((r) => (isObject(r) ? (r.RangeVar as RangeVar) : {}));
        rels.forEach(protectRel);
        confirm(`TRUNCATE ${rels.map(relationLabel).join(', ')}`);
        return true;
      }
      case 'DropStmt': {
        const kind = String(node.removeType ?? '')
          .replace(/^OBJECT_/, '')
          .replace(/_/g, ' ');
        const names = asArray(node.objects).map((o) => {
          const parts = (isObject(o) && isObject(o.List) ? asArray(o.List.items) : [o]).map(stringValue);
          if (kind === 'TABLE' && parts.length <= 2)
            protect(parts.length === 2 ? parts[0] : undefined, parts[parts.length - 1]);
          if (kind === 'SCHEMA' && parts[0] && PROTECTED_SCHEMAS.has(parts[0]))
            findings.protectedTables.push(parts[0]);
          return parts.filter(Boolean).join('.');
        });
        const named = names.filter(Boolean).map(quoted).join(', ');
        confirm(`DROP ${kind}${named ? ` ${named}` : ''}`);
        return true;
      }
      case 'CopyStmt':
        if (node.is_program) findings.prohibited = true;
        else if (!node.filename)
          refuse(`COPY ${node.is_from ? 'FROM STDIN' : 'TO STDOUT'} needs a client (use psql)`);
        if (node.is_from) protectRel(node.relation);
        return true;
      case 'FuncCall': {
        const name = stringValue(asArray(node.funcname).at(-1))?.toLowerCase() ?? '';
        if (PROHIBITED_FUNCTIONS.has(name)) findings.prohibited = true;
        if (SESSION_LOCK_FUNCTIONS.has(name))
          refuse(`${name}() holds a session lock (use ${name.replace('lock', 'xact_lock')}())`);
        if (name === 'set_config' && !isTrueLiteral(asArray(node.args)[2]))
          refuse('set_config() without is_local = true (pass true)');
        return true;
      }
      case 'VariableSetStmt':
        if (!node.is_local && !(node.kind === 'VAR_SET_MULTI' && node.name === 'TRANSACTION'))
          refuse(
            `${node.kind === 'VAR_RESET_ALL' ? 'RESET ALL' : `SET/RESET ${node.name ?? ''}`.trim()} changes the session (use SET LOCAL)`,
          );
        return true;
      case 'TransactionStmt':
        if (!SAVEPOINT_KINDS.has(String(node.kind)))
          refuse('transaction control (each script runs in one transaction of its own; savepoints are fine)');
        return true;
      case 'ListenStmt':
      case 'PrepareStmt':
      case 'LoadStmt':
        refuse(`${type.replace(/Stmt$/, '').toUpperCase()} changes the session`);
        return false;
      case 'DeclareCursorStmt':
        if (Number(node.options) & CURSOR_OPT_HOLD) refuse('a cursor WITH HOLD outlives the transaction');
        return true;
      case 'CreateStmt':
        temporary(node.relation, node.oncommit === 'ONCOMMIT_DROP', 'a temporary table');
        return true;
      case 'CreateTableAsStmt':
      case 'SelectStmt': {
        const into = type === 'SelectStmt' ? node.intoClause : node.into;
        if (isObject(into)) temporary(into.rel, into.onCommit === 'ONCOMMIT_DROP', 'a temporary table');
        return true;
      }
      case 'ViewStmt':
        temporary(node.view, false, 'a temporary view');
        return false;
      case 'CreateSeqStmt':
        temporary(node.sequence, false, 'a temporary sequence');
        return true;
      case 'ExplainStmt':
        return explainRuns(node);
      case 'CreateFunctionStmt':
        return false; // the body runs when called, not now
      case 'DoStmt':
        if (depth < MAX_NESTING)
          for (const inner of doBlockStatements(node))
            inspectStatement(inner.stmt, where ? `${where}, DO block` : 'DO block', findings, depth + 1);
        return false;
      default:
        if (type.startsWith('Drop'))
          confirm(`DROP ${type === 'DropdbStmt' ? 'DATABASE' : type.slice(4, -4).toUpperCase()}`);
        return true;
    }
  };

  const walk = (value: unknown): void => {
    if (Array.isArray(value)) return value.forEach(walk);
    if (!isObject(value)) return;
    for (const [key, child] of Object.entries(value)) {
      // Typed nodes are `{TypeName: {...}}`; everything else is a plain field.
      if (/^[A-Z]/.test(key) && isObject(child)) {
        if (visitNode(key, child)) walk(child);
      } else walk(child);
    }
  };
  walk(root);
}

/** The statements of `query`, each with its own text (Postgres reports locations in UTF-8 bytes). */
function splitStatements(query: string): { text: string; stmt: unknown }[] {
  let parsed: { stmts?: { stmt?: unknown; stmt_location?: number; stmt_len?: number }[] };
  try {
    parsed = loadedParser().parseSync(query) as typeof parsed;
  } catch (err) {
    throw AppError.badRequest((err as Error).message, ErrorCode.SQL_ERROR);
  }
  const bytes = Buffer.from(query, 'utf8');
  return (parsed.stmts ?? []).map(({ stmt, stmt_location = 0, stmt_len }) => ({
    stmt,
    text: bytes.subarray(stmt_location, stmt_len ? stmt_location + stmt_len : bytes.length).toString('utf8'),
  }));
}

export interface GuardOptions {
  /** The caller confirmed UPDATE/DELETE without WHERE, DROP and TRUNCATE. */
  confirmDestructive: boolean;
}

/**
 * Checks a console script before it runs and returns its statements. Throws a 400 AppError for SelfDB 0.0.5's
 * prohibited patterns, a syntax error, statements that would leak session state through the pool, writes to protected
 * tables, and destructive statements the caller did not confirm. A guard against accidents, not a sandbox: function
 * bodies and dynamic SQL are not inspected.
 */
export function checkScript(query: string, options: GuardOptions): string[] {
  if (PROHIBITED_PATTERNS.some((pattern) => pattern.test(query)) || copiesToOrFromProgram(query))
    throw AppError.badRequest(PROHIBITED_MESSAGE, ErrorCode.SQL_PROHIBITED);
  const statements = splitStatements(query);
  if (statements.length === 0) throw AppError.badRequest('Query contains no SQL statement');
  const findings: Findings = { prohibited: false, notAllowed: [], protectedTables: [], destructive: [] };
  statements.forEach(({ stmt }, i) =>
    inspectStatement(stmt, statements.length > 1 ? `statement ${i + 1}` : '', findings),
  );
  if (findings.prohibited) throw AppError.badRequest(PROHIBITED_MESSAGE, ErrorCode.SQL_PROHIBITED);
  if (findings.notAllowed.length > 0)
    throw AppError.badRequest(
      `Not allowed in the SQL console: ${findings.notAllowed.join('; ')}`,
      ErrorCode.SQL_STATEMENT_NOT_ALLOWED,
    );
  if (findings.protectedTables.length > 0)
    throw AppError.badRequest(
      `Cannot modify protected system table: ${findings.protectedTables[0]}`,
      ErrorCode.SQL_PROTECTED_TABLE,
    );
  if (findings.destructive.length > 0 && !options.confirmDestructive)
    throw AppError.badRequest(
      `Destructive statement needs confirmation: ${findings.destructive.join('; ')}. Send "confirm_destructive": true with the query to run it.`,
      ErrorCode.SQL_CONFIRMATION_REQUIRED,
    );
  return statements.map(({ text }) => text);
}
