/**
 * Phoenix Channels frames. V1: a JSON object `{topic, event, payload, ref, join_ref}`. V2 (the official `phoenix`
 * client, `vsn=2.0.0`): a JSON array `[join_ref, ref, topic, event, payload]`. A socket without `vsn` speaks what its
 * first frame is (SelfDB 0.0.5's TypeScript SDK sends V2 arrays without `vsn`, its other clients V1 objects).
 * Outgoing frames are built by string concatenation from pieces that are already JSON, so a change is serialized
 * once however many sockets receive it.
 */
import { jsonDepthExceeds, MAX_JSON_DEPTH } from '@selfdb/common';

export type Vsn = '1.0.0' | '2.0.0';

export const SUPPORTED_VSNS: ReadonlySet<string> = new Set<Vsn>(['1.0.0', '2.0.0']);

export interface InboundMessage {
  joinRef: string | null;
  ref: string | null;
  topic: string;
  event: string;
  payload: unknown;
}

/** A frame that is not a Phoenix message; the socket is closed with this reason. */
export class FrameError extends Error {
  override name = 'FrameError';
}

const MAX_FIELD_LENGTH = 255;

function refField(value: unknown, name: string): string | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'number' && Number.isSafeInteger(value)) return String(value);
  if (typeof value === 'string' && value.length <= MAX_FIELD_LENGTH) return value;
  throw new FrameError(`${name} must be a string of at most ${MAX_FIELD_LENGTH} characters or null`);
}

function nameField(value: unknown, name: string): string {
  if (typeof value === 'string' && value.length > 0 && value.length <= MAX_FIELD_LENGTH) return value;
  throw new FrameError(`${name} must be a non-empty string of at most ${MAX_FIELD_LENGTH} characters`);
}

/**
 * The protocol version a frame is written in, for a socket that did not say (no `vsn`): a JSON array is V2, a JSON
 * object V1. Null for anything else (the frame is malformed either way).
 */
export function detectVsn(text: string): Vsn | null {
  const first = /\S/.exec(text)?.[0];
  return first === '[' ? '2.0.0' : first === '{' ? '1.0.0' : null;
}

/** Parses one text frame; throws FrameError naming what is wrong. */
export function decodeFrame(text: string, vsn: Vsn): InboundMessage {
  if (jsonDepthExceeds(text)) {
    throw new FrameError(`malformed frame: nested deeper than ${MAX_JSON_DEPTH} levels`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new FrameError('malformed frame: not JSON');
  }
  if (vsn === '2.0.0') {
    if (!Array.isArray(parsed) || parsed.length !== 5) {
      throw new FrameError('malformed frame: expected [join_ref, ref, topic, event, payload]');
    }
    const [joinRef, ref, topic, event, payload] = parsed as unknown[];
    return {
      joinRef: refField(joinRef, 'join_ref'),
      ref: refField(ref, 'ref'),
      topic: nameField(topic, 'topic'),
      event: nameField(event, 'event'),
      payload: payload ?? {},
    };
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new FrameError('malformed frame: expected {"topic", "event", "payload", "ref"}');
  }
  const message = parsed as Record<string, unknown>;
  return {
    joinRef: refField(message.join_ref, 'join_ref'),
    ref: refField(message.ref, 'ref'),
    topic: nameField(message.topic, 'topic'),
    event: nameField(message.event, 'event'),
    payload: message.payload ?? {},
  };
}

/** JSON text of a ref or topic (strings are escaped once and reused for every frame). */
export const jsonString = (value: string | null): string => (value === null ? 'null' : JSON.stringify(value));

/** Builds outgoing frames for one socket's protocol version. Every argument but `event` is JSON text already. */
export interface FrameWriter {
  frame(topicJson: string, event: string, payloadJson: string, refJson: string, joinRefJson: string): string;
}

const v1: FrameWriter = {
  frame: (topicJson, event, payloadJson, refJson, joinRefJson) =>
    `{"topic":${topicJson},"event":"${event}","payload":${payloadJson},"ref":${refJson},"join_ref":${joinRefJson}}`,
};

const v2: FrameWriter = {
  frame: (topicJson, event, payloadJson, refJson, joinRefJson) =>
    `[${joinRefJson},${refJson},${topicJson},"${event}",${payloadJson}]`,
};

/** `event` must be a plain identifier (the server's own event names): it is not escaped. */
export function frameWriter(vsn: Vsn): FrameWriter {
  return vsn === '2.0.0' ? v2 : v1;
}

/** A `phx_reply` payload: `{"status": "ok"|"error", "response": {...}}`. */
export function replyPayload(status: 'ok' | 'error', response: object): string {
  return JSON.stringify({ status, response });
}

/**
 * A complete WebSocket text frame (RFC 6455 §5.2: FIN, opcode 1, unmasked as server frames are) around `payload`.
 * Fan-out writes these prebuilt bytes straight to each socket, so a change shared by many sockets is framed once.
 */
export function textFrame(payload: Buffer): Buffer {
  const length = payload.length;
  const headerLength = length < 126 ? 2 : length < 65_536 ? 4 : 10;
  const frame = Buffer.allocUnsafe(headerLength + length);
  frame[0] = 0x81;
  if (length < 126) {
    frame[1] = length;
  } else if (length < 65_536) {
    frame[1] = 126;
    frame.writeUInt16BE(length, 2);
  } else {
    frame[1] = 127;
    frame.writeBigUInt64BE(BigInt(length), 2);
  }
  payload.copy(frame, headerLength);
  return frame;
}
