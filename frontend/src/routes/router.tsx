import { createBrowserRouter, Navigate, Outlet, RouterProvider } from 'react-router';
import { EmptyState, Loading } from '../components/ui/states.tsx';
import { LoginPage } from '../features/auth/login-page.tsx';
import { useSession } from '../lib/session.tsx';
import { AppShell } from './app-shell.tsx';
import { PAGES, type PageRoute } from './pages.tsx';

/** Pages behind sign-in: the sign-in page otherwise (and back here after). */
function RequireSession() {
  const { status } = useSession();
  if (status === 'loading') return <Loading label="Opening your session…" />;
  if (status === 'signed-out') return <Navigate to="/login" replace />;
  return <Outlet />;
}

function AdminOnly({ page }: { page: PageRoute }) {
  const { user } = useSession();
  if (page.adminOnly && user?.role !== 'ADMIN') {
    return <EmptyState title="Admins only">Ask an administrator of this SelfDB for access.</EmptyState>;
  }
  return page.element;
}

function LoginRoute() {
  const { status } = useSession();
  if (status === 'loading') return <Loading />;
  if (status === 'signed-in') return <Navigate to="/" replace />;
  return <LoginPage />;
}

const router = createBrowserRouter([
  { path: '/login', element: <LoginRoute /> },
  {
    element: <RequireSession />,
    children: [
      {
        element: <AppShell />,
        children: [
          ...PAGES.map((page) => ({ path: page.path, element: <AdminOnly page={page} /> })),
          {
            path: '*',
            element: <EmptyState title="Page not found">There is no page at this address.</EmptyState>,
          },
        ],
      },
    ],
  },
]);

export function AppRouter() {
  return <RouterProvider router={router} />;
}
