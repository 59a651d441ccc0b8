// Test handler for test/client-cli.test.ts (plain JS: the gateway under test runs under plain node).
// Echoes like handlers/echo.ts, and once, after one second of input, asks for a barge-in `clear`.
export default {
  name: 'echo-then-clear',
  create() {
    let ctx;
    let frames = 0;
    return {
      startUp(context) {
        ctx = context;
      },
      receive(frame) {
        ctx.send({ type: 'audio', frame });
        frames += 1;
        if (frames === 50) ctx.send({ type: 'clear' });
      },
    };
  },
};
