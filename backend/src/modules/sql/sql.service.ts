import {
  type Actor,
  AppError,
  DB_ROLES,
  ErrorCode,
  ERRORS,
  isAdmin,
  type Pool,
  SqlState,
  toPgAppError,
} from '@selfdb/common';
import { type ScriptProgress, runScript } from './script-runner.ts';
import { checkScript, loadSqlParser } from './sql-guard.ts';
import {
  deleteHistory,
  deleteVisibleSnippet,
  insertHistory,
  insertSnippet,
  listHistory,
  listSnippets,
  type SqlHistoryRow,
  type SqlSnippetRow,
} from './sql.repository.ts';

/** Where a failed history write is reported (it never changes the answer to the query itself). */
export interface ErrorLog {
  error(details: object, message: string): void;
}

export interface SqlConsoleConfig {
  statementTimeoutMs: number;
  maxRows: number;
  /** The console connects as the superuser (SQL_CONSOLE_SUPERUSER), not as selfdb_console. */
  superuser: boolean;
}

/** Why the console may not do something Postgres refused for lack of privilege, and how an operator can allow it. */
const NOT_A_SUPERUSER = `The SQL console runs as the database role ${DB_ROLES.console}, which is not a superuser: it cannot run programs, read or write the server's files, manage roles or databases, change server settings or create untrusted extensions. An operator who needs that sets SQL_CONSOLE_SUPERUSER=true (docs/ENVS.md).`;

/** SelfDB 0.0.5's SqlExecutionResult. */
export interface SqlExecutionResult {
  success: boolean;
  is_read_only: boolean;
  execution_time: number;
  row_count: number | null;
  columns: string[] | null;
  data: Record<string, unknown>[] | null;
  message: string | null;
  error: string | null;
}

export interface SnippetInput {
  name: string;
  sql_code: string;
  description?: string | null;
  is_shared?: boolean;
}

function assertSqlAdmin(actor: Actor) {
  if (!isAdmin(actor)) throw ERRORS.adminRequired('Admin access required for SQL operations');
}

/**
 * The error a client sees for a failed script: Postgres's own message (400) as SelfDB 0.0.5, a refusal for lack of
 * privilege (403, saying what the console's role may not do), or a timeout (504).
 */
function toConsoleError(err: unknown, config: SqlConsoleConfig): AppError | null {
  if (err instanceof AppError) return err;
  const { code, message } = err as { code?: unknown; message?: string };
  if (code === SqlState.QUERY_CANCELED)
    return new AppError(
      504,
      ErrorCode.QUERY_TIMEOUT,
      `Query cancelled: a statement ran longer than the statement timeout (${config.statementTimeoutMs} ms, SQL_STATEMENT_TIMEOUT_MS); nothing was changed`,
    );
  if (code === SqlState.INSUFFICIENT_PRIVILEGE && message)
    return new AppError(
      403,
      ErrorCode.SQL_PERMISSION_DENIED,
      config.superuser ? message : `${message.replace(/\.?$/, '.')} ${NOT_A_SUPERUSER}`,
    );
  const connection = toPgAppError(err);
  if (connection?.code === ErrorCode.DATABASE_UNAVAILABLE) return connection;
  if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) && message)
    return AppError.badRequest(message, ErrorCode.SQL_ERROR);
  return null;
}

/**
 * The admin SQL console: scripts (checked by the guard, run by the script runner on `consolePool`), per-user history
 * of every call, and snippets (own and shared). Every operation is admin-only.
 */
export function createSqlService(deps: { pool: Pool; consolePool: Pool; config: SqlConsoleConfig }) {
  const { pool, consolePool, config } = deps;

  const record = async (log: ErrorLog, entry: Parameters<typeof insertHistory>[1]): Promise<void> => {
    try {
      await insertHistory(pool, entry);
    } catch (err) {
      log.error({ err }, 'could not record SQL console history');
    }
  };

  return {
    /**
     * Runs a script and records it in the caller's history, failures included. Returns the last statement's result
     * and whether it was cut at the row cap.
     */
    async execute(
      actor: Actor,
      input: { query: string; confirmDestructive: boolean },
      log: ErrorLog,
    ): Promise<{ result: SqlExecutionResult; truncated: boolean }> {
      assertSqlAdmin(actor);
      await loadSqlParser();
      const started = performance.now();
      const elapsed = () => (performance.now() - started) / 1000;
      // A script refused before it ran counts as a write: it was not shown to be read-only.
      const progress: ScriptProgress = { readOnly: false };
      try {
        const statements = checkScript(input.query, { confirmDestructive: input.confirmDestructive });
        const outcome = await runScript(
          consolePool,
          statements,
          { ...config, userId: actor.id, role: config.superuser ? null : DB_ROLES.owner },
          progress,
        );
        const executionTime = elapsed();
        const message =
          outcome.columns === null
            ? `Query executed successfully. ${outcome.rowCount ?? 0} row(s) affected.`
            : outcome.truncated
              ? `Query returned more than ${config.maxRows} rows; showing the first ${config.maxRows} (SQL_MAX_ROWS)`
              : `Query returned ${outcome.rowCount} row(s)`;
        await record(log, {
          userId: actor.id,
          query: input.query,
          isReadOnly: outcome.readOnly,
          executionTime,
          rowCount: outcome.rowCount,
          error: null,
        });
        return {
          result: {
            success: true,
            is_read_only: outcome.readOnly,
            execution_time: executionTime,
            row_count: outcome.rowCount,
            columns: outcome.columns,
            data: outcome.columns === null ? null : outcome.rows,
            message,
            error: null,
          },
          truncated: outcome.truncated,
        };
      } catch (err) {
        const clientError = toConsoleError(err, config);
        await record(log, {
          userId: actor.id,
          query: input.query,
          isReadOnly: progress.readOnly,
          executionTime: elapsed(),
          rowCount: null,
          error: clientError?.message ?? 'Internal server error',
        });
        throw clientError ?? err;
      }
    },

    async listHistory(actor: Actor, limit: number): Promise<{ history: SqlHistoryRow[] }> {
      assertSqlAdmin(actor);
      return { history: await listHistory(pool, actor.id, limit) };
    },

    async clearHistory(actor: Actor): Promise<void> {
      assertSqlAdmin(actor);
      await deleteHistory(pool, actor.id);
    },

    async listSnippets(actor: Actor): Promise<{ snippets: SqlSnippetRow[] }> {
      assertSqlAdmin(actor);
      return { snippets: await listSnippets(pool, actor.id) };
    },

    async createSnippet(actor: Actor, input: SnippetInput): Promise<SqlSnippetRow> {
      assertSqlAdmin(actor);
      return insertSnippet(pool, {
        name: input.name,
        sqlCode: input.sql_code,
        description: input.description ?? null,
        isShared: input.is_shared ?? false,
        createdBy: actor.id,
      });
    },

    /** Deletes one of the caller's snippets or a shared one; another admin's private snippet is not found (404). */
    async deleteSnippet(actor: Actor, snippetId: string): Promise<void> {
      assertSqlAdmin(actor);
      if (!(await deleteVisibleSnippet(pool, snippetId, actor.id)))
        throw AppError.notFound('Snippet not found');
    },
  };
}

export type SqlService = ReturnType<typeof createSqlService>;
