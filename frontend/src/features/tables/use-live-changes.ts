import type { ChangePayload, SelfDB } from '@selfdb/sdk';
import { useEffect, useRef, useState } from 'react';
import { errorMessage } from '../../lib/errors.ts';

export type LiveState =
  { state: 'off' } | { state: 'connecting' } | { state: 'live' } | { state: 'failed'; message: string };

/**
 * Follows `table:<name>` while `enabled`: calls `onChange` for each committed change, `onResync` when the server
 * could not replay what was missed (refetch). The SDK's channel rejoins with last_seq after any reconnect, so
 * nothing is lost or repeated while the page stays open.
 */
export function useLiveChanges(
  selfdb: SelfDB,
  tableName: string | undefined,
  enabled: boolean,
  onChange: (change: ChangePayload) => void,
  onResync: () => void,
): LiveState {
  const [live, setLive] = useState<LiveState>({ state: 'off' });
  const handlers = useRef({ onChange, onResync });
  handlers.current = { onChange, onResync };

  useEffect(() => {
    if (!enabled || !tableName) {
      setLive({ state: 'off' });
      return;
    }
    setLive({ state: 'connecting' });
    const channel = selfdb.realtime.channel(`table:${tableName}`);
    let open = true;
    channel.on('*', (change) => handlers.current.onChange(change));
    channel.onResync(() => handlers.current.onResync());
    channel.onClose((reason) => {
      if (open) setLive({ state: 'failed', message: reason });
    });
    channel.subscribe().then(
      () => {
        if (open) setLive({ state: 'live' });
      },
      (err: unknown) => {
        if (open) setLive({ state: 'failed', message: errorMessage(err) });
      },
    );
    return () => {
      open = false;
      channel.unsubscribe();
    };
  }, [selfdb, tableName, enabled]);

  return live;
}
