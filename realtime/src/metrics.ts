import {
  addPoolMetrics,
  addReadCounter,
  addReadGauge,
  createServiceMetrics,
  type PoolCounts,
  type ServiceMetrics,
} from '@selfdb/common';
import type { Hub } from './channels/hub.ts';

/**
 * The realtime service's registry (`GET /metrics`): its HTTP requests, the direct pool, and the hub's sockets,
 * channels and counts, all read at scrape time (the fan-out only adds to plain numbers, `Hub.stats`).
 */
export function createRealtimeMetrics(hub: Hub, pool: PoolCounts, enabled: boolean): ServiceMetrics {
  const metrics = createServiceMetrics('realtime', enabled);
  addPoolMetrics(metrics, { direct: pool });
  addReadGauge(metrics, 'realtime_sockets', 'Open WebSocket connections', () => hub.connections.size);
  addReadGauge(metrics, 'realtime_channels', 'Channels joined, over all sockets', () => {
    let channels = 0;
    for (const conn of hub.connections) channels += conn.channels.size;
    return channels;
  });
  addReadGauge(
    metrics,
    'realtime_topics',
    'Distinct topics (tables) joined by some socket',
    () => hub.topicCount,
  );
  addReadCounter(
    metrics,
    'realtime_deliveries_total',
    'Changes sent live to a channel (one per change per channel)',
    () => hub.stats.deliveries,
  );
  addReadCounter(
    metrics,
    'realtime_replays_total',
    'Catch-ups started (a join with last_seq, a resumed flow)',
    () => hub.stats.replays,
  );
  addReadCounter(
    metrics,
    'realtime_replayed_changes_total',
    'Changes sent to a channel by a catch-up',
    () => hub.stats.replayed,
  );
  addReadCounter(
    metrics,
    'realtime_dropped_sockets_total',
    'Sockets closed as slow consumers (over REALTIME_SEND_BUFFER_BYTES unsent)',
    () => hub.stats.drops,
  );
  return metrics;
}
