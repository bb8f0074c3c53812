// The SQL console's guardrails as the editor shows them: which answers ask for a confirmation, and what the
// statement would do, in words, for the confirmation dialog.
import { SelfDBError } from '@selfdb/sdk';

export const CONFIRMATION_REQUIRED = 'SQL_CONFIRMATION_REQUIRED';

/** Whether a failed run is the guardrail asking for `confirm_destructive: true`. */
export function needsConfirmation(error: unknown): error is SelfDBError {
  return error instanceof SelfDBError && error.status === 400 && error.code === CONFIRMATION_REQUIRED;
}

/**
 * The destructive statements an answer names (`DROP TABLE t; DELETE without WHERE on u`), without the API's
 * instructions for clients; the whole detail when it has another shape.
 */
export function destructiveSummary(detail: string): string {
  const match = /needs confirmation:\s*(.*?)\.?\s*Send "confirm_destructive"/s.exec(detail);
  return match?.[1]?.trim() || detail;
}
