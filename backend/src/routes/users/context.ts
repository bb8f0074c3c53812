import type { AuthService } from '../../modules/auth/auth.service.ts';
import type { RateLimiter } from '../../modules/auth/rate-limiter.ts';
import type { UsersService } from '../../modules/users/users.service.ts';
import type { RouteContext, RouteModule } from '../context.ts';

/** What `/users` routes get: the users and auth services and the login/refresh/signup rate limiters. */
export interface UsersContext extends RouteContext {
  users: UsersService;
  authService: AuthService;
  limiters: {
    loginPerAccount: RateLimiter;
    loginPerAddress: RateLimiter;
    refreshPerAddress: RateLimiter;
    signupPerAddress: RateLimiter;
  };
}

export type UsersRouteModule = RouteModule<UsersContext>;
