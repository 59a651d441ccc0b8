// Test handler for test/cluster-*.test.ts (plain JS: the gateways under test run under plain node).
// Echoes like handlers/echo.ts; every POST /input comes back as an additional output (GET /outputs)
// naming the process that holds the session.
export default {
  name: 'echo-input',
  create() {
    let ctx;
    return {
      startUp(context) {
        ctx = context;
      },
      receive(frame) {
        ctx.send({ type: 'audio', frame });
      },
      onEvent(event) {
        if (event.type === 'input') ctx.send({ type: 'additional_outputs', data: { input: event.args, pid: process.pid } });
      },
    };
  },
};
