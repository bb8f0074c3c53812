import type { Pool } from '@selfdb/common';
import type { FastifyInstance } from 'fastify';
import type { Config } from '../config.ts';
import type { AuthService } from '../modules/auth/auth.service.ts';
import type { RateLimiter } from '../modules/auth/rate-limiter.ts';
import type { SystemService } from '../modules/system/system.service.ts';
import type { UsersService } from '../modules/users/users.service.ts';
import type { AuthHooks } from '../plugins/auth.ts';

/** What route files get: the services, the auth hooks and the config. Routes never touch SQL themselves. */
export interface RouteContext {
  config: Readonly<Config>;
  /** The pooled (PgBouncer) pool: area plugins build their services from it in their index.ts. */
  pool: Pool;
  system: SystemService;
  auth: AuthHooks;
  users: UsersService;
  authService: AuthService;
  limiters: {
    loginPerAccount: RateLimiter;
    loginPerAddress: RateLimiter;
    refreshPerAddress: RateLimiter;
    signupPerAddress: RateLimiter;
  };
}

export type RouteModule = (app: FastifyInstance, ctx: RouteContext) => void;

/** OpenAPI security of routes that need a token. */
export const BEARER: Record<string, string[]>[] = [{ HTTPBearer: [] }];
/** OpenAPI security of routes that take a token but also answer anonymous callers. */
export const OPTIONAL_BEARER: Record<string, string[]>[] = [{ HTTPBearer: [] }, {}];
