import { SelfDBError } from '@selfdb/sdk';

interface ValidationProblem {
  loc?: unknown;
  msg?: unknown;
}

/** A 422's list of problems (`[{loc, msg}]`, as 0.0.5's FastAPI answered) as one line per field. */
export function describeValidation(detail: string): string | null {
  let problems: unknown;
  try {
    problems = JSON.parse(detail);
  } catch {
    return null;
  }
  if (!Array.isArray(problems) || problems.length === 0) return null;
  return (problems as ValidationProblem[])
    .map((problem) => {
      const where = Array.isArray(problem.loc) ? problem.loc.filter((part) => part !== 'body').join('.') : '';
      const message = typeof problem.msg === 'string' ? problem.msg : JSON.stringify(problem);
      return where ? `${where}: ${message}` : message;
    })
    .join('\n');
}

/** What the UI shows for a failure: the API's `detail` when there is one. */
export function errorMessage(error: unknown): string {
  if (error instanceof SelfDBError) {
    if (error.status === 0) return 'The server did not answer: is SelfDB running?';
    return (error.status === 422 && describeValidation(error.detail)) || error.detail;
  }
  if (error instanceof Error) return error.message;
  return String(error);
}
