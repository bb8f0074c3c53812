// What one Run sends: each statement on its own (its own transaction and result), or the whole script as typed
// (one transaction; the API answers its last statement's rows).
import type { SqlExecutionResult } from '@selfdb/sdk';
import { splitStatements } from './split-statements.ts';

/** One statement (or the whole script, run as one transaction) and what became of it. */
export interface StatementRun {
  /** The heading: "Statement 2", or "Script (3 statements, one transaction)". */
  title: string;
  sql: string;
  state: 'waiting' | 'running' | 'done' | 'error' | 'cancelled';
  result?: SqlExecutionResult;
  /** The API cut the rows at SQL_MAX_ROWS (X-SelfDB-Truncated). */
  truncated?: boolean;
  /** The API's detail when it refused or Postgres failed. */
  error?: string;
}

/** The runs of one Run: nothing for a script of only whitespace and comments. */
export function planRuns(script: string, oneTransaction: boolean): StatementRun[] {
  const statements = splitStatements(script);
  if (statements.length === 0) return [];
  if (oneTransaction && statements.length > 1)
    return [
      {
        title: `Script (${statements.length} statements, one transaction)`,
        sql: script.trim(),
        state: 'waiting',
      },
    ];
  return statements.map((sql, i) => ({
    title: statements.length > 1 ? `Statement ${i + 1}` : 'Result',
    sql: oneTransaction ? script.trim() : sql,
    state: 'waiting',
  }));
}
