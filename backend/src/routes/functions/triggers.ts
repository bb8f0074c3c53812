import type { FastifyInstance } from 'fastify';
import { INVOKE_MAX_BODY_BYTES } from '../../modules/functions/triggers.service.ts';
import type { FunctionsContext } from './context.ts';
import emitEvent from './emit-event.ts';
import invokeFunction from './invoke-function.ts';
import receiveExecutionResult from './receive-execution-result.ts';

/**
 * The routes that run functions (the CRUD of /functions lives in ./index.ts): the HTTP trigger
 * `ANY /functions/{name}/invoke[/*]`, 0.0.5's execution-result callback, and `POST /functions/events`.
 */
export async function functionTriggerRoutes(app: FastifyInstance, ctx: FunctionsContext) {
  receiveExecutionResult(app, ctx);
  emitEvent(app, ctx);
  // The HTTP trigger takes any body as raw bytes (the function parses it), in a context of its own.
  await app.register(async (invoke) => {
    invoke.removeAllContentTypeParsers();
    invoke.addContentTypeParser(
      '*',
      { parseAs: 'buffer', bodyLimit: INVOKE_MAX_BODY_BYTES },
      (_request, body, done) => done(null, body),
    );
    invokeFunction(invoke, ctx);
  });
}
