import { jsonString, textFrame } from '../protocol/frames.ts';
import type { ChangeRow, TableIdentity } from '../pubsub/outbox.repository.ts';
import { identityKey, type TopicState } from './access.ts';
import type { Connection } from './connection.ts';
import type { RowFilter } from './filter.ts';

const EVENT_NAMES = { INSERT: 'insert', UPDATE: 'update', DELETE: 'delete' } as const;

interface EncodedChange {
  payload: string;
  /** Whole WebSocket frames by protocol version and join_ref: sockets that share both get the same bytes. */
  frames: Map<string, Buffer>;
}

const encoded = new WeakMap<ChangeRow, EncodedChange>();

/**
 * The push payload of a change, as SelfDB 0.0.5 sent it (`{event, table, new, old}`) plus `seq`, serialized once
 * per change however many sockets receive it.
 */
function encode(change: ChangeRow): EncodedChange {
  let entry = encoded.get(change);
  if (!entry) {
    entry = {
      payload: JSON.stringify({
        event: change.operation,
        table: change.table_name,
        new: change.new_row,
        old: change.old_row,
        seq: change.seq,
      }),
      frames: new Map(),
    };
    encoded.set(change, entry);
  }
  return entry;
}

/**
 * One joined channel (`table:<name>`) of one socket. It follows the table the name had when it joined (its registry
 * id), not the name: a rename or a drop ends it.
 */
export class Subscription {
  /** The hub's key of `identity` (see `identityKey`). */
  readonly key: string;
  readonly topicJson: string;
  readonly joinRefJson: string;
  /** Which shared frame of a change this subscription gets (see `EncodedChange.frames`). */
  private readonly frameKey: string;
  /** The last seq this subscription has passed: live changes at or below it are not sent again. */
  cursor = 0;
  /** Receives changes from the feed; false while it replays from the outbox or while the token is expired. */
  live = false;
  closed = false;
  /** Bumped by each replay started, so a superseded replay stops. */
  replayGeneration = 0;

  constructor(
    readonly conn: Connection,
    readonly topic: string,
    readonly table: string,
    readonly identity: TableIdentity,
    /** The access state the channel holds now: the join's, then each registry change the feed applies. */
    public state: TopicState,
    readonly joinRef: string | null,
    readonly filter: RowFilter | null,
  ) {
    this.key = identityKey(identity);
    this.topicJson = jsonString(topic);
    this.joinRefJson = jsonString(joinRef);
    this.frameKey = `${conn.vsn}${this.joinRefJson}`;
  }

  /** Whether the change passes the row filter: INSERT by its new row, DELETE by its old, UPDATE by either. */
  accepts(change: ChangeRow): boolean {
    if (!this.filter) return true;
    if (change.operation === 'INSERT') return this.filter.matches(change.new_row);
    if (change.operation === 'DELETE') return this.filter.matches(change.old_row);
    return this.filter.matches(change.new_row) || this.filter.matches(change.old_row);
  }

  /** Sends the change if the filter lets it through (true); the cursor moves either way. */
  deliver(change: ChangeRow): boolean {
    this.cursor = change.seq;
    if (!this.accepts(change)) return false;
    // The topic is the change's table, so the frame only depends on the protocol version and the join_ref.
    const entry = encode(change);
    let frame = entry.frames.get(this.frameKey);
    if (!frame) {
      const text = this.conn.writer.frame(
        this.topicJson,
        EVENT_NAMES[change.operation],
        entry.payload,
        'null',
        this.joinRefJson,
      );
      frame = textFrame(Buffer.from(text));
      entry.frames.set(this.frameKey, frame);
    }
    this.conn.sendFrame(frame);
    return true;
  }

  /** A server push on this channel (`ref` null), e.g. `resync_required` or `phx_close`. */
  push(event: string, payload: object): void {
    this.conn.send(
      this.conn.writer.frame(this.topicJson, event, JSON.stringify(payload), 'null', this.joinRefJson),
    );
  }
}
