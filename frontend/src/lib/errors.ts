import { SelfDBError } from '@selfdb/sdk';

/** What the UI shows for a failure: the API's `detail` when there is one. */
export function errorMessage(error: unknown): string {
  if (error instanceof SelfDBError) {
    return error.status === 0 ? 'The server did not answer: is SelfDB running?' : error.detail;
  }
  if (error instanceof Error) return error.message;
  return String(error);
}
