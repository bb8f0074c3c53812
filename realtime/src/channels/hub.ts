import { type Actor, ErrorCode, type Pool } from '@selfdb/common';
import type { Logger } from 'pino';
import type { ChangeFeed } from '../pubsub/change-feed.ts';
import { type ChangeRow, readReplayPage } from '../pubsub/outbox.repository.ts';
import {
  changeKey,
  checkTopicAccess,
  loadTopicState,
  type Refusal,
  tableAccessFromChange,
  type TopicState,
} from './access.ts';
import {
  findUserAccess,
  findUsersAccess,
  type TableAccessRow,
  type UserAccessRow,
} from './access.repository.ts';
import type { Connection } from './connection.ts';
import type { Subscription } from './subscription.ts';
import { findOpenSessions } from './tokens.ts';

export interface HubDeps {
  feed: ChangeFeed;
  /** Direct pool: registry lookups and replays. */
  pool: Pool;
  log: Logger;
  batchSize: number;
  /** Shortest time between two writes of live changes to the sockets (0: write each batch at once). */
  flushIntervalMs: number;
}

/**
 * Every socket and subscription of this process, and the fan-out of the change feed to them. Access is decided
 * at join time from the database and kept current from the feed itself: a change to the `tables` registry or to
 * a user arrives in seq order like any other change and is applied before the changes that follow it.
 * Subscriptions are keyed by the identity of their table (registry id, or system table name), never by a user
 * table's name, so the changes of a table that had the name before never reach them.
 */
/** Counts since start, read by `GET /metrics` (plain numbers: the fan-out loop only adds to them). */
export interface HubStats {
  /** Changes written to subscriptions live (one per change per subscription). */
  deliveries: number;
  /** Catch-ups started (joins with a cursor, resumed flows). */
  replays: number;
  /** Changes written to subscriptions by catch-ups. */
  replayed: number;
  /** Sockets closed as slow consumers (their unsent changes dropped). */
  drops: number;
}

export class Hub {
  readonly connections = new Set<Connection>();
  readonly stats: HubStats = { deliveries: 0, replays: 0, replayed: 0, drops: 0 };
  private readonly topics = new Map<string, Set<Subscription>>();
  private readonly byUser = new Map<string, Set<Connection>>();
  // Bumped by every registry or user change the feed passes: a lookup that raced with one is read again.
  private registryEpoch = 0;
  private usersEpoch = 0;
  /** Sockets holding frames (corked) until the next flush. */
  private readonly pending = new Set<Connection>();
  private lastFlush = 0;
  private flushTimer: NodeJS.Timeout | null = null;
  /** The session check under way, and whether another was asked for meanwhile (see `checkSessions`). */
  private sessionCheck: Promise<void> | null = null;
  private sessionCheckAgain = false;

  constructor(private readonly deps: HubDeps) {}

  /**
   * Writes what the corked sockets hold. Each write is a system call per socket (on loopback, the receiver's
   * TCP work too), which dominates fan-out: under load, batches of changes are written together, at most one
   * write per socket every `flushIntervalMs`; when changes are sparse, at once.
   */
  flush(): void {
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = null;
    this.lastFlush = Date.now();
    for (const conn of this.pending) conn.uncork();
    this.pending.clear();
  }

  private scheduleFlush(now: number): void {
    if (this.pending.size === 0 || this.flushTimer) return;
    const wait = this.lastFlush + this.deps.flushIntervalMs - now;
    if (wait <= 0) this.flush();
    else this.flushTimer = setTimeout(() => this.flush(), wait);
  }

  /** Distinct topics (tables) some socket has joined. */
  get topicCount(): number {
    return this.topics.size;
  }

  get feed(): ChangeFeed {
    return this.deps.feed;
  }

  get pool(): Pool {
    return this.deps.pool;
  }

  addConnection(conn: Connection): void {
    this.connections.add(conn);
    this.indexUser(conn);
  }

  removeConnection(conn: Connection): void {
    this.connections.delete(conn);
    this.unindexUser(conn);
    for (const sub of conn.channels.values()) this.detach(sub);
  }

  /** Call before changing `conn.actor`, then `indexUser` after. */
  unindexUser(conn: Connection): void {
    if (!conn.actor) return;
    const set = this.byUser.get(conn.actor.id);
    set?.delete(conn);
    if (set?.size === 0) this.byUser.delete(conn.actor.id);
  }

  indexUser(conn: Connection): void {
    if (!conn.actor || !this.connections.has(conn)) return;
    let set = this.byUser.get(conn.actor.id);
    if (!set) this.byUser.set(conn.actor.id, (set = new Set()));
    set.add(conn);
  }

  /** The user row as it is now (role and is_active decide what the socket may do). */
  async loadUser(id: string): Promise<UserAccessRow | null> {
    for (;;) {
      const epoch = this.usersEpoch;
      const user = await findUserAccess(this.deps.pool, id);
      if (epoch === this.usersEpoch) return user;
    }
  }

  /**
   * Whether `actor` may join the table's topic, with the state the decision was made on and the registry epoch
   * it holds for (see `registryChangedSince`).
   */
  async authorize(
    actor: Actor | null,
    table: string,
  ): Promise<{ state: TopicState; refusal: Refusal | null; epoch: number }> {
    for (;;) {
      const epoch = this.registryEpoch;
      const state = await loadTopicState(this.deps.pool, table);
      if (epoch !== this.registryEpoch) continue;
      return { state, refusal: checkTopicAccess(actor, table, state), epoch };
    }
  }

  /** Whether the feed passed a registry change since `epoch` (an `authorize` result may be stale). */
  registryChangedSince(epoch: number): boolean {
    return epoch !== this.registryEpoch;
  }

  /** Registers a joined subscription; it receives live changes once `live` is set. */
  attach(sub: Subscription): void {
    let set = this.topics.get(sub.key);
    if (!set) this.topics.set(sub.key, (set = new Set()));
    set.add(sub);
  }

  detach(sub: Subscription): void {
    sub.closed = true;
    sub.live = false;
    const set = this.topics.get(sub.key);
    if (!set) return;
    set.delete(sub);
    if (set.size === 0) this.topics.delete(sub.key);
  }

  /**
   * Sends what the subscription missed since its cursor (`last_seq`), then makes it live with no gap and no
   * duplicate: it switches in the same tick as it finds its cursor at the feed's position, so every later change
   * reaches it live and every earlier one came from the outbox.
   */
  async catchUp(sub: Subscription): Promise<void> {
    const generation = ++sub.replayGeneration;
    this.stats.replays++;
    sub.live = false;
    let cursor = sub.cursor;
    const { feed, pool, batchSize } = this.deps;
    const current = () => !sub.closed && !sub.conn.suspended && sub.replayGeneration === generation;
    try {
      for (;;) {
        // A token that expires mid-replay stops it before the next page, not at the next sweep.
        if (sub.conn.tokenExpired()) sub.conn.expire();
        if (!current()) return;
        const bound = feed.position;
        if (cursor >= bound) {
          sub.cursor = cursor;
          sub.live = true;
          return;
        }
        const page = await readReplayPage(pool, sub.identity, cursor, bound, batchSize);
        if (!current()) return;
        if (page.prunedThrough > cursor) {
          // Pruned while replaying (the join checked before): the client must refetch, then continue from here.
          sub.push('resync_required', { last_seq: bound });
          cursor = bound;
          continue;
        }
        sub.conn.cork();
        for (const change of page.rows) if (sub.deliver(change)) this.stats.replayed++;
        sub.conn.uncork();
        cursor = page.rows.length < batchSize ? bound : page.rows[page.rows.length - 1]!.seq;
        sub.cursor = cursor;
        await sub.conn.drained();
      }
    } catch (err) {
      if (!current()) return;
      this.deps.log.warn({ err: (err as Error).message, topic: sub.topic }, 'replay failed');
      // phx_error makes Phoenix clients rejoin, with their own last_seq, once the database answers again.
      sub.push('phx_error', { reason: 'replay failed: database unavailable' });
      sub.conn.dropChannel(sub);
    }
  }

  /** The feed's callback: applies registry and user changes, then fans each change out in seq order. */
  dispatch(changes: ChangeRow[]): void {
    const now = Date.now();
    for (const change of changes) {
      if (change.table_id === null) {
        if (change.table_name === 'tables') this.applyRegistryChange(change);
        else if (change.table_name === 'users') this.applyUserChange(change);
      }
      // Captured for functions only (the table's realtime is off, migration 0037): never sent to anyone.
      if (change.broadcast === false) continue;
      const subs = this.topics.get(changeKey(change));
      if (!subs) continue;
      for (const sub of subs) {
        if (!sub.live || change.seq <= sub.cursor) continue;
        const conn = sub.conn;
        if (conn.tokenExpired(now)) {
          conn.expire();
          continue;
        }
        if (!conn.corked) {
          conn.cork();
          this.pending.add(conn);
        }
        if (sub.deliver(change)) this.stats.deliveries++;
      }
    }
    this.scheduleFlush(now);
  }

  /** Checks every subscription of a connection again (after a role change or a new token). */
  recheckConnection(conn: Connection): void {
    for (const sub of [...conn.channels.values()]) {
      const refusal = checkTopicAccess(conn.actor, sub.table, sub.state);
      if (refusal) this.revoke(sub, refusal);
    }
  }

  /** Closes the channel for good (phx_close: Phoenix clients do not rejoin), saying why. */
  revoke(sub: Subscription, refusal: Refusal): void {
    sub.push('phx_close', { reason: refusal.reason, code: refusal.code });
    sub.conn.dropChannel(sub);
  }

  /**
   * A registry change, applied to the channels of that table (by id). One older than the state a channel joined
   * with (below its epoch: the join read a newer registry than the feed had reached) is skipped. A deleted or
   * renamed table ends its channels (the topic no longer names it); a change of visibility or owner ends the
   * channels of those who lost access, and starts a new epoch for the others.
   */
  private applyRegistryChange(change: ChangeRow): void {
    this.registryEpoch++;
    const ids = new Set<string>();
    for (const row of [change.old_row, change.new_row]) if (typeof row?.id === 'string') ids.add(row.id);
    for (const id of ids) {
      const subs = this.topics.get(id);
      if (!subs) continue;
      const row = change.new_row?.id === id ? tableAccessFromChange(change.new_row) : null;
      for (const sub of [...subs]) {
        if (sub.state.system || change.seq < sub.state.sinceSeq) continue;
        if (!row) {
          this.revoke(sub, { reason: `table ${sub.table} was deleted`, code: ErrorCode.NOT_FOUND });
          continue;
        }
        if (row.name !== sub.table) {
          this.revoke(sub, {
            reason: `table ${sub.table} was renamed: join its new topic`,
            code: ErrorCode.NOT_FOUND,
          });
          continue;
        }
        const previous = sub.state.row;
        const state: TopicState = {
          system: false,
          row,
          sinceSeq: isNewEpoch(previous, row) ? change.seq : sub.state.sinceSeq,
        };
        if (checkTopicAccess(sub.conn.actor, sub.table, state)) {
          this.revoke(sub, { reason: 'access revoked', code: ErrorCode.FORBIDDEN });
          continue;
        }
        sub.state = state;
      }
    }
  }

  private applyUserChange(change: ChangeRow): void {
    this.usersEpoch++;
    const id = (change.new_row ?? change.old_row)?.id;
    const conns = typeof id === 'string' ? this.byUser.get(id) : undefined;
    if (!conns) return;
    const row = change.new_row;
    for (const conn of [...conns]) {
      if (!row) {
        conn.signOut('user deleted', ErrorCode.INVALID_TOKEN);
      } else if (row.is_active !== true) {
        conn.signOut('user deactivated', ErrorCode.USER_INACTIVE);
      } else if (conn.actor?.role === 'ADMIN' && row.role === 'USER') {
        // A new role ends the user's sessions in the same transaction (migration 0032), so the session check
        // below signs these sockets out. Meanwhile a demotion applies at once; a promotion never widens a
        // socket's rights (its session has ended: only a new login is an admin's).
        conn.actor = { id: conn.actor.id, role: 'USER' };
        this.recheckConnection(conn);
      }
    }
    // A new password or role ends the user's sessions in the same transaction (migration 0032): sign their sockets
    // out now, not at the next periodic check.
    if (row) void this.checkSessions({ queue: true });
  }

  /**
   * Signs out every socket whose token's session has ended (logout, logout from all devices, a new password or
   * role, in any process: the refresh tokens that carried it were revoked, or expired). One query for the distinct
   * sessions of every signed-in socket of this process, however many sockets share them; no per-socket timers or
   * queries. Runs periodically (see app.ts) and after a user change. A check asked for while one runs is skipped,
   * or with `queue` runs once after it. A database error leaves the sockets as they are until the next check.
   */
  checkSessions(options: { queue?: boolean } = {}): Promise<void> {
    if (this.sessionCheck) {
      if (options.queue) this.sessionCheckAgain = true;
      return this.sessionCheck;
    }
    const run = this.runSessionCheck().finally(() => {
      this.sessionCheck = null;
      if (this.sessionCheckAgain) {
        this.sessionCheckAgain = false;
        void this.checkSessions();
      }
    });
    this.sessionCheck = run;
    return run;
  }

  private async runSessionCheck(): Promise<void> {
    const asked = new Set<string>();
    for (const conn of this.connections) if (conn.sessionId !== null) asked.add(conn.sessionId);
    if (asked.size === 0) return;
    let ended: Connection[];
    let users: Map<string, UserAccessRow>;
    try {
      const open = await findOpenSessions(this.deps.pool, [...asked]);
      // Only the sessions asked about are judged: a socket that switched to another token (`access_token`) while
      // the query ran has a session this answer says nothing about.
      const isEnded = (conn: Connection) =>
        conn.sessionId !== null && asked.has(conn.sessionId) && !open.has(conn.sessionId);
      ended = [...this.connections].filter(isEnded);
      if (ended.length === 0) return;
      // Deactivation and deletion end sessions too: say so, as the feed's user change would (whichever comes first).
      const ids = [...new Set(ended.map((conn) => conn.actor?.id).filter((id) => id !== undefined))];
      users = new Map((await findUsersAccess(this.deps.pool, ids)).map((user) => [user.id, user]));
      ended = ended.filter(isEnded);
    } catch (err) {
      this.deps.log.warn({ err: (err as Error).message }, 'session check failed');
      return;
    }
    for (const conn of ended) {
      const user = conn.actor ? users.get(conn.actor.id) : undefined;
      if (!user) conn.signOut('user deleted', ErrorCode.INVALID_TOKEN);
      else if (!user.is_active) conn.signOut('user deactivated', ErrorCode.USER_INACTIVE);
      else conn.signOut('session ended: sign in again', ErrorCode.INVALID_TOKEN);
    }
  }
}

/** Whether a registry row change starts a new epoch (as realtime.on_registry_change decides, migration 0031). */
function isNewEpoch(before: TableAccessRow | null, after: TableAccessRow): boolean {
  return (
    !before ||
    before.public !== after.public ||
    before.owner_id !== after.owner_id ||
    (!before.realtime_enabled && after.realtime_enabled)
  );
}
