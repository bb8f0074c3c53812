import type { FastifyInstance } from 'fastify';
import type { Config } from '../config.ts';
import type { AuthHooks } from '../plugins/auth.ts';

/**
 * What every area's context has: the config and the auth hooks. Each area extends it with its own services (its
 * `context.ts`), all built once in the composition root (src/composition-root.ts). Routes never get the pool.
 */
export interface RouteContext {
  config: Readonly<Config>;
  auth: AuthHooks;
}

/** One route file: registers its operation(s) on `app` with its area's context. */
export type RouteModule<Context extends RouteContext = RouteContext> = (
  app: FastifyInstance,
  ctx: Context,
) => void;

/** OpenAPI security of routes that need a token. */
export const BEARER: Record<string, string[]>[] = [{ HTTPBearer: [] }];
/** OpenAPI security of routes that take a token but also answer anonymous callers. */
export const OPTIONAL_BEARER: Record<string, string[]>[] = [{ HTTPBearer: [] }, {}];
