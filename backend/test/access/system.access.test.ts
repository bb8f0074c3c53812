// Access rules of the system routes: the health check answers without the API key (load balancers), the system
// status needs the key but no token (the login page of a fresh install asks it).
import { describeAccess, rows } from './scenario.ts';

describeAccess('system access', {
  scenarios: [
    ...rows(
      { name: 'health check', method: 'GET', url: '/health' },
      { 'no-api-key': 200, 'wrong-api-key': 200, 'anonymous-with-key': 200, user: 200, admin: 200 },
    ),
    ...rows(
      { name: 'system status', method: 'GET', url: '/system/status' },
      {
        'no-api-key': { status: 406, code: 'API_KEY_MISSING' },
        'wrong-api-key': { status: 401, code: 'API_KEY_INVALID' },
        'anonymous-with-key': 200,
        user: 200,
        admin: 200,
      },
    ),
    ...rows(
      { name: 'an unknown route', method: 'GET', url: '/no-such-area' },
      {
        'no-api-key': { status: 406, code: 'API_KEY_MISSING' },
        'anonymous-with-key': { status: 404, code: 'NOT_FOUND' },
        admin: { status: 404, code: 'NOT_FOUND' },
      },
    ),
  ],
});
