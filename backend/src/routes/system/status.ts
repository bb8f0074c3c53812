import { Type } from 'typebox';
import type { SystemRouteModule } from './context.ts';

const SystemStatus = Type.Object(
  { initialized: Type.Boolean(), version: Type.String() },
  { title: 'SystemStatus' },
);

/** GET /system/status: whether anyone has logged in yet (the UI offers restore until then) and the real version. */
const status: SystemRouteModule = (app, ctx) => {
  app.get(
    '/system/status',
    {
      schema: {
        operationId: 'getSystemStatus',
        summary: 'System status',
        tags: ['system'],
        response: { 200: SystemStatus },
      },
    },
    async function handleGetSystemStatus() {
      return ctx.system.status();
    },
  );
};

export default status;
