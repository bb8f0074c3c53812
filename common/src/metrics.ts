// Prometheus metrics of every SelfDB service (`GET /metrics`, docs/metrics.md): one registry per service, the
// request histogram labelled by route pattern (never the raw URL), pool gauges read at scrape time, and the
// METRICS_TOKEN check. The hot path costs one counter increment and one histogram observation per request.
import { createHash, timingSafeEqual } from 'node:crypto';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/** Label of every request that matched no route: a scanner's random URLs add no series. */
export const UNMATCHED_ROUTE = 'unmatched';

/** Seconds; from a cached read to a slow query or upload. */
const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/** Methods kept as labels; any other (a scanner's inventions) is counted as `OTHER`. */
const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

type HttpLabels = 'route' | 'method' | 'status_class';

export interface ServiceMetrics {
  readonly registry: Registry;
  /** False when METRICS_TOKEN is unset: nothing is observed and no process metric is collected. */
  readonly enabled: boolean;
  /** Counts one answered request and observes its duration. `route` is the route pattern, or null if none matched. */
  observeRequest(route: string | null | undefined, method: string, status: number, seconds: number): void;
  /** The Prometheus text exposition of everything registered. */
  render(): Promise<string>;
  readonly contentType: string;
}

/** The part of a pg pool the gauges read (pg.Pool has it). */
export interface PoolCounts {
  readonly totalCount: number;
  readonly idleCount: number;
  readonly waitingCount: number;
}

/**
 * Creates the registry of one service (`service` label on every series) with the default process metrics and the
 * request counter and histogram. Disabled (METRICS_TOKEN unset), it collects nothing and observing is a no-op, so
 * metrics that are off cost nothing.
 */
export function createServiceMetrics(service: string, enabled = true): ServiceMetrics {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  if (enabled) collectDefaultMetrics({ register: registry });
  const requests = new Counter<HttpLabels>({
    name: 'http_requests_total',
    help: 'HTTP requests answered, by route pattern, method and status class',
    labelNames: ['route', 'method', 'status_class'],
    registers: [registry],
  });
  const duration = new Histogram<HttpLabels>({
    name: 'http_request_duration_seconds',
    help: 'Time from receiving a request to sending its answer, by route pattern, method and status class',
    labelNames: ['route', 'method', 'status_class'],
    buckets: LATENCY_BUCKETS,
    registers: [registry],
  });
  // prom-client hashes the labels on every call; the children of each combination (bounded: routes x methods x
  // status classes) are looked up once and kept, so a request costs a Map lookup, an increment and an observation.
  const children = new Map<string, { count: { inc(): void }; time: { observe(value: number): void } }>();
  return {
    registry,
    enabled,
    contentType: registry.contentType,
    observeRequest(route, method, status, seconds) {
      if (!enabled) return;
      const key = `${route || UNMATCHED_ROUTE}|${method}|${Math.floor(status / 100)}`;
      let child = children.get(key);
      if (!child) {
        const labels = {
          route: route || UNMATCHED_ROUTE,
          method: METHODS.has(method) ? method : 'OTHER',
          status_class: `${Math.floor(status / 100)}xx`,
        };
        child = { count: requests.labels(labels), time: duration.labels(labels) };
        if (METHODS.has(method)) children.set(key, child);
      }
      child.count.inc();
      child.time.observe(seconds);
    },
    render() {
      return registry.metrics();
    },
  };
}

/** Gauges of a pg pool's connections (total, idle) and of the checkouts waiting for one, read at scrape time. */
export function addPoolMetrics(metrics: ServiceMetrics, pools: Record<string, PoolCounts>): void {
  const gauge = (name: string, help: string, read: (pool: PoolCounts) => number) =>
    new Gauge<'pool'>({
      name,
      help,
      labelNames: ['pool'],
      registers: [metrics.registry],
      collect() {
        for (const [pool, counts] of Object.entries(pools)) this.set({ pool }, read(counts));
      },
    });
  gauge('db_pool_connections', 'Connections the pool holds (in use and idle)', (pool) => pool.totalCount);
  gauge('db_pool_idle_connections', 'Idle connections of the pool', (pool) => pool.idleCount);
  gauge(
    'db_pool_waiting_clients',
    'Checkouts waiting for a connection (the pool, or PgBouncer behind it, is saturated)',
    (pool) => pool.waitingCount,
  );
}

/** A counter whose value is read at scrape time from a plain number kept by the service (no prom-client there). */
export function addReadCounter(
  metrics: ServiceMetrics,
  name: string,
  help: string,
  read: () => number,
): void {
  new Counter({
    name,
    help,
    registers: [metrics.registry],
    collect() {
      this.reset();
      this.inc(read());
    },
  });
}

/** A gauge read at scrape time. */
export function addReadGauge(metrics: ServiceMetrics, name: string, help: string, read: () => number): void {
  new Gauge({
    name,
    help,
    registers: [metrics.registry],
    collect() {
      this.set(read());
    },
  });
}

export type MetricsAccess = 'off' | 'allowed' | 'refused';

const digest = (value: string) => createHash('sha256').update(value).digest();

/**
 * Who may read `/metrics`: nobody when METRICS_TOKEN is unset (the route answers 404, as if absent), else only a
 * caller presenting it as `Authorization: Bearer <token>` (compared in constant time).
 */
export function createMetricsGuard(token: string | null | undefined) {
  const expected = token ? digest(token) : null;
  return function checkMetricsAccess(authorization: string | string[] | undefined): MetricsAccess {
    if (!expected) return 'off';
    if (typeof authorization !== 'string') return 'refused';
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
    if (!match) return 'refused';
    return timingSafeEqual(digest(match[1]!), expected) ? 'allowed' : 'refused';
  };
}

/** The path of the metrics endpoint on every service. */
export const METRICS_PATH = '/metrics';
