// Access rules of the schema explorer: admins only (SelfDB 0.0.5). A signed-in user is refused with 403 before
// anything is read.
import { adminOnly, describeAccess, rows } from './scenario.ts';

describeAccess('schema access', {
  scenarios: [
    ...rows({ name: 'visualization', method: 'GET', url: '/schema/visualization' }, adminOnly(200)),
    ...rows({ name: 'table names', method: 'GET', url: '/schema/tables' }, adminOnly(200)),
    ...rows({ name: 'schema changes', method: 'GET', url: '/schema/changes?limit=5' }, adminOnly(200)),
  ],
});
