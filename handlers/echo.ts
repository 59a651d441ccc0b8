import { defineHandler, type Handler, type HandlerContext } from '../src/handler/handler.js';

/** The demo handler: every frame that comes in goes back out, paced like it arrived. */
export default defineHandler({
  name: 'echo',
  create(): Handler {
    let ctx: HandlerContext | undefined;
    return {
      startUp(context) {
        ctx = context;
      },
      receive(frame) {
        ctx?.send({ type: 'audio', frame });
      },
    };
  },
});
