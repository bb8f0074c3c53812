// Access rules of the backups area: admins only. A signed-in user is refused with 403 before the file is looked
// up, so a missing archive answers 404 only to an admin. (Restore, open on a fresh install with the restore
// token, has its own tests: backups-restore-auth.test.ts.)
import { startBackupsApp } from '../backups-helpers.ts';
import { adminOnly, describeAccess, rows } from './scenario.ts';

const MISSING = 'selfdb_backup_20000101_000000.tar.gz';
const missing = (ok: number) => ({ ...adminOnly(ok), admin: { status: 404, code: 'BACKUP_NOT_FOUND' } });

describeAccess('backups access', {
  start: () => startBackupsApp(),
  scenarios: [
    ...rows({ name: 'list backups', method: 'GET', url: '/backups' }, adminOnly(200)),
    ...rows({ name: 'backup schedule', method: 'GET', url: '/backups/schedule' }, adminOnly(200)),
    ...rows({ name: 'backup progress', method: 'GET', url: '/backups/progress' }, adminOnly(200)),
    ...rows({ name: 'create a backup', method: 'POST', url: '/backups' }, adminOnly(200)),
    ...rows({ name: 'download a backup', method: 'GET', url: `/backups/${MISSING}/download` }, missing(200)),
    ...rows({ name: 'verify a backup', method: 'POST', url: `/backups/${MISSING}/verify` }, missing(200)),
    ...rows({ name: 'delete a backup', method: 'DELETE', url: `/backups/${MISSING}` }, missing(200)),
  ],
});
