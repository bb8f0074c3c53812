import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { ErrorMessage } from './components/ui/states.tsx';
import './index.css';
import { loadRuntimeConfig } from './lib/config.ts';
import { SessionProvider } from './lib/session.tsx';
import { applyTheme, storedTheme } from './lib/theme.ts';
import { AppRouter } from './routes/router.tsx';

applyTheme(storedTheme());
const root = createRoot(document.getElementById('root')!);

loadRuntimeConfig().then(
  (config) =>
    root.render(
      <StrictMode>
        <SessionProvider config={config}>
          <AppRouter />
        </SessionProvider>
      </StrictMode>,
    ),
  (err: unknown) =>
    root.render(
      <div className="mx-auto max-w-lg p-10">
        <ErrorMessage message={err instanceof Error ? err.message : String(err)} />
      </div>,
    ),
);
