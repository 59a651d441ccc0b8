// Test handler for test/load-workers.test.ts (plain JS: the gateway under test runs under plain node).
// Echoes like handlers/echo.ts, but blocks its process's event loop for 200 ms when a session starts, so
// the event-loop delay a scrape reports has something to show.
export default {
  name: 'stall-on-start',
  create() {
    let ctx;
    return {
      startUp(context) {
        ctx = context;
        const until = performance.now() + 200;
        while (performance.now() < until);
      },
      receive(frame) {
        ctx.send({ type: 'audio', frame });
      },
    };
  },
};
