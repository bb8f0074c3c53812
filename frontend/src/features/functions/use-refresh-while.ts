import { useEffect, useRef } from 'react';

/** Calls `refresh` every `ms` while `active` (e.g. runs or deliveries still in flight), so they progress on screen. */
export function useRefreshWhile(active: boolean, refresh: () => void, ms = 2000): void {
  const latest = useRef(refresh);
  latest.current = refresh;
  useEffect(() => {
    if (!active) return;
    const timer = setInterval(() => latest.current(), ms);
    return () => clearInterval(timer);
  }, [active, ms]);
}
