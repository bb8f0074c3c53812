// Every page of the dashboard, in 0.0.5's sidebar order: the router and the sidebar are both built from this list.
// A new page is one entry here plus its feature folder (docs/dashboard.md).
import { lazy, type ReactElement, Suspense } from 'react';
import { Loading } from '../components/ui/states.tsx';
import { BackupsPage } from '../features/backups/backups-page.tsx';
import { DashboardPage } from '../features/dashboard/dashboard-page.tsx';
import { FunctionPage } from '../features/functions/function-page.tsx';
import { FunctionsPage } from '../features/functions/functions-page.tsx';
import { ProfilePage } from '../features/profile/profile-page.tsx';
import { SchemaPage } from '../features/schema/schema-page.tsx';
import { BucketPage } from '../features/storage/bucket-page.tsx';
import { StoragePage } from '../features/storage/storage-page.tsx';
import { TablePage } from '../features/tables/table-page.tsx';
import { TablesPage } from '../features/tables/tables-page.tsx';
import { UsersPage } from '../features/users/users-page.tsx';

export interface PageRoute {
  path: string;
  element: ReactElement;
  /** Shown in the sidebar under this label (pages without one, e.g. details, are reached by links). */
  nav?: string;
  /** Only admins see it in the sidebar and may open it (as 0.0.5). */
  adminOnly?: boolean;
}

// Pages loaded on demand: they are only for admins and carry their own weight (the SQL Editor its editor).
const SqlEditorPage = lazy(() =>
  import('../features/sql-editor/sql-editor-page.tsx').then((m) => ({ default: m.SqlEditorPage })),
);
const ApiDocsPage = lazy(() =>
  import('../features/api-docs/api-docs-page.tsx').then((m) => ({ default: m.ApiDocsPage })),
);
const onDemand = (page: ReactElement) => <Suspense fallback={<Loading />}>{page}</Suspense>;

export const PAGES: PageRoute[] = [
  { path: '/', nav: 'Dashboard', element: <DashboardPage /> },
  // Listing users is for admins (GET /users/ answers 403 to others); everyone edits their own profile.
  { path: '/users', nav: 'Users', adminOnly: true, element: <UsersPage /> },
  { path: '/tables', nav: 'Tables', element: <TablesPage /> },
  { path: '/tables/:tableId', element: <TablePage /> },
  { path: '/storage', nav: 'Storage', element: <StoragePage /> },
  { path: '/storage/:bucketId', element: <BucketPage /> },
  {
    path: '/functions',
    nav: 'Functions',
    adminOnly: true,
    element: <FunctionsPage />,
  },
  { path: '/functions/:functionId', adminOnly: true, element: <FunctionPage /> },
  {
    path: '/schema',
    nav: 'Schema',
    adminOnly: true,
    element: <SchemaPage />,
  },
  {
    path: '/sql-editor',
    nav: 'SQL Editor',
    adminOnly: true,
    element: onDemand(<SqlEditorPage />),
  },
  {
    path: '/backups',
    nav: 'Backups',
    adminOnly: true,
    element: <BackupsPage />,
  },
  {
    path: '/api-docs',
    nav: 'API Docs',
    adminOnly: true,
    element: onDemand(<ApiDocsPage />),
  },
  { path: '/profile', element: <ProfilePage /> },
];
