/**
 * A SelfDB call that did not succeed: `status` is the HTTP status (0 when no answer came, e.g. the server is down),
 * `code` the stable error code of the `{detail, code}` body when there was one, `detail` its human text.
 */
export class SelfDBError extends Error {
  readonly status: number;
  readonly code: string | undefined;
  readonly detail: string;

  constructor(status: number, detail: string, code?: string, options?: { cause?: unknown }) {
    super(status ? `${status}${code ? ` ${code}` : ''}: ${detail}` : detail, options);
    this.name = 'SelfDBError';
    this.status = status;
    this.code = code;
    this.detail = detail;
  }

  /** Builds the error from what the generated client returns for a failed call. */
  static fromResult(error: unknown, response: Response | undefined): SelfDBError {
    if (!response) {
      const message = error instanceof Error ? error.message : String(error);
      return new SelfDBError(0, `request failed: ${message}`, undefined, { cause: error });
    }
    if (error && typeof error === 'object') {
      const body = error as { detail?: unknown; code?: unknown };
      // Validation errors (422) carry a list of problems in `detail`, as SelfDB 0.0.5 does.
      const detail = typeof body.detail === 'string' ? body.detail : JSON.stringify(body.detail ?? body);
      return new SelfDBError(response.status, detail, typeof body.code === 'string' ? body.code : undefined);
    }
    return new SelfDBError(response.status, typeof error === 'string' && error ? error : response.statusText);
  }
}

/** What every generated SDK function resolves to (with the default `responseStyle: 'fields'`). */
export interface CallResult<T> {
  data: T | undefined;
  error: unknown;
  response: Response;
}

/** The data of a successful call, or throws a SelfDBError: for callers who prefer exceptions to `{data, error}`. */
export function unwrap<T>(result: CallResult<T>): T {
  // On a network failure the generated client leaves `response` undefined although its type says otherwise.
  const response = result.response as Response | undefined;
  if (result.error === undefined && response?.ok) return result.data as T;
  throw SelfDBError.fromResult(result.error, response);
}
