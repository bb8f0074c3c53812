import { ErrorCode } from '@selfdb/common';
import type { InboundMessage } from '../protocol/frames.ts';
import { readResumeBounds } from '../pubsub/outbox.repository.ts';
import { identityOf, isHiddenColumn, tableOfTopic, type TopicState } from './access.ts';
import { findTableColumns } from './access.repository.ts';
import type { Connection } from './connection.ts';
import { compileFilter, FilterError, parseFilter, type RowFilter } from './filter.ts';
import { Subscription } from './subscription.ts';

/** How long a join waits for the feed's start position (right after the service starts). */
const FEED_READY_TIMEOUT_MS = 5000;

interface JoinOptions {
  filter?: string;
  lastSeq?: number;
}

class JoinError extends Error {
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
  }
}

/** `{"filter": "col=op.value", "last_seq": N}`, both optional; other keys are ignored (clients add their own). */
function parseJoinOptions(payload: unknown): JoinOptions {
  if (payload === null || payload === undefined) return {};
  if (typeof payload !== 'object' || Array.isArray(payload)) {
    throw new JoinError('join payload must be an object', ErrorCode.BAD_REQUEST);
  }
  const { filter, last_seq: lastSeq } = payload as Record<string, unknown>;
  const options: JoinOptions = {};
  if (filter !== undefined && filter !== null && filter !== '') {
    if (typeof filter !== 'string') throw new JoinError('filter must be a string', ErrorCode.INVALID_FILTER);
    options.filter = filter;
  }
  if (lastSeq !== undefined && lastSeq !== null) {
    const value = typeof lastSeq === 'string' && /^\d{1,15}$/.test(lastSeq) ? Number(lastSeq) : lastSeq;
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
      throw new JoinError('last_seq must be a non-negative integer', ErrorCode.BAD_REQUEST);
    }
    options.lastSeq = value;
  }
  return options;
}

async function buildFilter(conn: Connection, table: string, text: string): Promise<RowFilter> {
  const columns = await findTableColumns(conn.deps.hub.pool, table);
  return compileFilter(
    text,
    columns.filter((column) => !isHiddenColumn(table, column.name)),
  );
}

/** Where a user table's current epoch starts (0 for system tables): nothing at or below it is ever sent. */
const epochStart = (state: TopicState): number => (state.system ? 0 : state.sinceSeq);

/**
 * `phx_join` on `table:<name>`: authorizes (SPEC §2.1), compiles the filter, then either goes live at the feed's
 * position (reply `last_seq` = that position) or, with `last_seq`, replays what the client missed first. A
 * `last_seq` that is no longer retained (or unknown to this database), or from before the table's current epoch
 * (it got its name, visibility, owner or capture since: migration 0031), answers `resync_required: true` and goes
 * live from now: the client refetches, then keeps the new `last_seq`. The channel follows the table the name has
 * now (its registry id), and never receives a change from before its epoch, live or replayed.
 */
export async function handleJoin(conn: Connection, message: InboundMessage): Promise<void> {
  const { hub } = conn.deps;
  const table = tableOfTopic(message.topic);
  if (!table) {
    conn.reply(message, 'error', { reason: 'unmatched topic', code: ErrorCode.NOT_FOUND });
    return;
  }
  // A token that expired since the last sweep stops the flow here, before this join could replay anything.
  if (conn.tokenExpired()) conn.expire();
  if (conn.suspended) {
    conn.reply(message, 'error', {
      reason: 'access token expired: send a fresh one with the access_token event, or reconnect',
      code: ErrorCode.INVALID_TOKEN,
    });
    return;
  }
  let options: JoinOptions;
  let filter: RowFilter | null = null;
  let bounds: { prunedThrough: number; lastIssued: number } | null = null;
  let authorized;
  try {
    options = parseJoinOptions(message.payload);
    if (options.filter !== undefined) parseFilter(options.filter);
    authorized = await hub.authorize(conn.actor, table);
    if (authorized.refusal) {
      conn.reply(message, 'error', authorized.refusal);
      return;
    }
    if (options.filter !== undefined) filter = await buildFilter(conn, table, options.filter);
    if (!(await hub.feed.whenReady(FEED_READY_TIMEOUT_MS))) {
      throw new JoinError('realtime is starting: join again shortly', ErrorCode.REALTIME_UNAVAILABLE);
    }
    if (options.lastSeq !== undefined) bounds = await readResumeBounds(hub.pool);
    // A registry change that passed the feed while this join waited reached only the channels already joined: the
    // decision above may be stale. Nothing awaits between this and `attach`.
    if (hub.registryChangedSince(authorized.epoch)) {
      authorized = await hub.authorize(conn.actor, table);
      if (authorized.refusal) {
        conn.reply(message, 'error', authorized.refusal);
        return;
      }
    }
  } catch (err) {
    if (err instanceof FilterError) {
      conn.reply(message, 'error', {
        reason: `invalid filter: ${err.message}`,
        code: ErrorCode.INVALID_FILTER,
      });
    } else if (err instanceof JoinError) {
      conn.reply(message, 'error', { reason: err.message, code: err.code });
    } else {
      conn.deps.log.warn({ err: (err as Error).message, topic: message.topic }, 'join failed');
      conn.reply(message, 'error', { reason: 'database unavailable', code: ErrorCode.DATABASE_UNAVAILABLE });
    }
    return;
  }
  if (conn.closed) return;
  const { state } = authorized;
  const identity = identityOf(table, state);
  if (!identity) throw new Error('an authorized join without a table');
  const since = epochStart(state);
  const lastSeq = options.lastSeq;
  const resync =
    lastSeq !== undefined &&
    bounds !== null &&
    (lastSeq < bounds.prunedThrough || lastSeq > bounds.lastIssued || lastSeq < since);

  // Phoenix semantics: a second join of a topic replaces the first.
  const existing = conn.channels.get(message.topic);
  if (existing) {
    existing.push('phx_close', { reason: 'joined again' });
    conn.dropChannel(existing);
  }
  const joinRef = message.joinRef ?? message.ref;
  const sub = new Subscription(conn, message.topic, table, identity, state, joinRef, filter);
  conn.channels.set(message.topic, sub);
  hub.attach(sub);

  const response: Record<string, unknown> = {};
  if (filter) response.filter = filter.text;
  if (!state.system && state.row) response.realtime_enabled = state.row.realtime_enabled;
  if (lastSeq === undefined || resync) {
    // Live from the feed's position, set in the same tick as the reply: nothing between the two is lost. When the
    // feed has not reached the table's epoch yet (it lags the registry this join read), from the epoch: what the
    // feed has still to pass below it was captured under another name, visibility or owner.
    sub.cursor = Math.max(hub.feed.position, since);
    sub.live = true;
    conn.reply(message, 'ok', {
      last_seq: sub.cursor,
      ...(resync && { resync_required: true }),
      ...response,
    });
    return;
  }
  sub.cursor = lastSeq;
  conn.reply(message, 'ok', { last_seq: lastSeq, ...response });
  void hub.catchUp(sub);
}
