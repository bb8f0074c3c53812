import { AppError } from '@selfdb/common';
import { Type } from 'typebox';
import type { RouteModule } from '../context.ts';

const Query = Type.Object({
  'X-API-Key': Type.String({
    description:
      'API key required for WebSocket connections (passed as query param since WebSocket can not use headers)',
  }),
  token: Type.Optional(
    Type.String({
      description:
        'JWT access token; without it the socket is anonymous and may join public tables only (docs/realtime-protocol.md)',
    }),
  ),
  vsn: Type.Optional(
    Type.String({
      description:
        'Phoenix serializer: 1.0.0 (JSON objects) or 2.0.0 (arrays); when absent, the format of the first frame',
    }),
  ),
});

const DESCRIPTION = `WebSocket endpoint of the realtime service (Phoenix Channels). A plain HTTP request gets 404.

Connect with \`ws://<host>/realtime/socket?X-API-Key=<key>&token=<jwt>\` (the \`phoenix\` client appends
\`/websocket\`; both paths work). Join \`table:<name>\` with \`{"filter": "col=eq.value", "last_seq": N}\` (both
optional); pushes are \`insert|update|delete\` with \`{event, table, new, old, seq}\`. See docs/realtime-protocol.md.`;

/** GET /realtime/socket without an upgrade: the socket's documentation, answering 404 as SelfDB 0.0.5. */
const websocketRealtimeSocket: RouteModule = (app) => {
  app.get(
    '/realtime/socket',
    {
      schema: {
        operationId: 'websocketRealtimeSocket',
        summary: 'WebSocket Proxy for Realtime',
        description: DESCRIPTION,
        tags: ['realtime'],
        querystring: Query,
        response: {
          101: { description: 'Switching Protocols - WebSocket connection established', type: 'null' },
        },
      },
    },
    async function handleWebsocketRealtimeSocket() {
      throw AppError.notFound('Not Found - This endpoint only accepts WebSocket connections');
    },
  );
};

export default websocketRealtimeSocket;
