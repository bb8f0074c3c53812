import type { FastifyInstance } from 'fastify';
import type { RouteContext } from '../context.ts';
import { installRealtimeProxy } from './proxy.ts';
import websocketRealtimeSocket from './websocket-realtime-socket.ts';

/**
 * `/realtime/socket`: WebSocket upgrades are passed, as bytes, to the realtime service (which speaks the Phoenix
 * protocol and checks the key and token itself); a plain GET is documented and answers 404, as SelfDB 0.0.5 did.
 */
export async function realtimeRoutes(app: FastifyInstance, ctx: RouteContext) {
  websocketRealtimeSocket(app, ctx);
  installRealtimeProxy(app, ctx.config);
}
