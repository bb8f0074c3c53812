import { useCallback, useState } from 'react';
import { saveTheme, storedTheme, type Theme } from './theme.ts';

/** The current theme and a toggle that remembers the choice. */
export function useTheme(): [Theme, () => void] {
  const [theme, setTheme] = useState<Theme>(storedTheme);
  const toggle = useCallback(() => {
    setTheme((current) => {
      const next = current === 'dark' ? 'light' : 'dark';
      saveTheme(next);
      return next;
    });
  }, []);
  return [theme, toggle];
}
