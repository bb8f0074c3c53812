import { useEffect } from 'react';
import { NavLink, Outlet, useLocation } from 'react-router';
import { Button } from '../components/ui/button.tsx';
import { useSession } from '../lib/session.tsx';
import { useTheme } from '../lib/use-theme.ts';
import { PAGES } from './pages.tsx';

const linkClass = ({ isActive }: { isActive: boolean }) =>
  `block rounded-md px-3 py-1.5 text-sm ${
    isActive
      ? 'bg-emerald-50 font-medium text-emerald-800 dark:bg-emerald-950 dark:text-emerald-300'
      : 'text-zinc-700 hover:bg-zinc-100 dark:text-zinc-300 dark:hover:bg-zinc-800'
  }`;

/** The signed-in layout: sidebar (0.0.5's order; profile, theme and sign-out at the bottom) and the page. */
export function AppShell() {
  const { user, signOut, reloadUser } = useSession();
  const [theme, toggleTheme] = useTheme();
  const { pathname } = useLocation();
  // Each page change re-reads the signed-in user: a session ended elsewhere (sign-out everywhere, a password or
  // role change) sends the user to the sign-in page at once, and a changed role shows.
  useEffect(() => {
    reloadUser().catch(() => undefined);
  }, [pathname, reloadUser]);
  const isAdmin = user?.role === 'ADMIN';
  return (
    <div className="flex min-h-screen">
      <aside className="sticky top-0 flex h-screen w-56 shrink-0 flex-col border-r border-zinc-200 bg-zinc-50 dark:border-zinc-800 dark:bg-zinc-900">
        <div className="px-4 py-4 text-lg font-semibold tracking-tight">
          Self<span className="text-emerald-600">DB</span>
        </div>
        <nav aria-label="Main" className="flex-1 space-y-0.5 overflow-y-auto px-2">
          {PAGES.filter((page) => page.nav && (isAdmin || !page.adminOnly)).map((page) => (
            <NavLink key={page.path} to={page.path} end={page.path === '/'} className={linkClass}>
              {page.nav}
            </NavLink>
          ))}
        </nav>
        <div className="space-y-1 border-t border-zinc-200 p-2 dark:border-zinc-800">
          <NavLink to="/profile" className={linkClass}>
            <span className="block truncate">Profile</span>
            <span className="block truncate text-xs text-zinc-500">{user?.email}</span>
          </NavLink>
          <Button
            variant="ghost"
            className="w-full justify-start"
            onClick={toggleTheme}
            aria-label={theme === 'dark' ? 'Switch to light mode' : 'Switch to dark mode'}
          >
            {theme === 'dark' ? '☀ Light mode' : '☾ Dark mode'}
          </Button>
          <Button variant="ghost" className="w-full justify-start" onClick={() => void signOut()}>
            Sign out
          </Button>
        </div>
      </aside>
      <main className="min-w-0 flex-1 p-6">
        <Outlet />
      </main>
    </div>
  );
}
