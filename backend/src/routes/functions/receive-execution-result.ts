import type { ExecutionResultInput } from '../../modules/functions/triggers.service.ts';
import type { FunctionsRouteModule } from './context.ts';

/**
 * POST /functions/{function_name}/execution-result: 0.0.5's internal callback (API key only, no token). Records the
 * reported run as an execution of the function with its log lines (level from their `[ERROR]`/`[WARN]` prefix) and
 * updates its counters; an unknown function gives 200 with a warning, as 0.0.5.
 */
const receiveExecutionResult: FunctionsRouteModule = (app, ctx) => {
  app.post(
    '/functions/:function_name/execution-result',
    {
      schema: {
        operationId: 'receiveExecutionResult',
        summary: 'Receive Execution Result',
        tags: ['functions'],
        params: {
          type: 'object',
          required: ['function_name'],
          properties: { function_name: { type: 'string', minLength: 1, maxLength: 255 } },
        },
        body: {
          type: 'object',
          title: 'ExecutionResultRequest',
          properties: {
            execution_id: { type: 'string', maxLength: 255 },
            function_name: { type: 'string', maxLength: 255 },
            success: { type: 'boolean' },
            result: {},
            logs: { type: 'array', maxItems: 10_000, items: { type: 'string', maxLength: 65_536 } },
            execution_time_ms: { type: 'number', minimum: 0, maximum: 86_400_000 },
            timestamp: { type: ['string', 'null'], maxLength: 64 },
            delivery_id: { type: ['string', 'null'], maxLength: 255 },
          },
        },
        response: {
          200: {
            type: 'object',
            additionalProperties: true,
            properties: {
              received: { type: 'boolean' },
              execution_id: { type: 'string' },
              warning: { type: 'string' },
            },
          },
        },
      },
    },
    async function receiveFunctionExecutionResult(request) {
      const { function_name: name } = request.params as { function_name: string };
      return ctx.functionTriggers.receiveExecutionResult(name, request.body as ExecutionResultInput);
    },
  );
};

export default receiveExecutionResult;
