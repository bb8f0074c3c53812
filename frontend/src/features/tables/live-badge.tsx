import { Badge } from '../../components/ui/states.tsx';
import type { LiveState } from './use-live-changes.ts';

/** Whether a page follows its data live (`useLiveChanges`): live, connecting, or why it stopped. */
export function LiveBadge({ live }: { live: LiveState }) {
  switch (live.state) {
    case 'live':
      return <Badge tone="emerald">● Live</Badge>;
    case 'connecting':
      return <Badge>Connecting…</Badge>;
    case 'failed':
      return <Badge tone="red">Live updates stopped: {live.message}</Badge>;
    default:
      return null;
  }
}
