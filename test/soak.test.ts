import { describe, expect, it } from 'vitest';
import { runSoak } from '../bench/soak.js';

/**
 * The 2-minute soak (docs/security.md, "Soak"; `npm run soak -- --minutes 30` is the long one): sessions
 * churn against real gateway processes (echo with recordings, asr with pocketsphinx), a third of them
 * ending with a TCP reset. Flat, for two minutes (warm-up of 30 s left out of the fit): heap ≤ 1 MB/min,
 * fds and handles ≤ 2/min; and after the churn no session is left in the registry, fds, handles and
 * timers are back where they started (± 2), heap within 5 MB and RSS within 10 MB of the start.
 */
describe('soak (2 minutes)', () => {
  it('sessions churn; memory, fds and handles stay flat; the registry empties', async () => {
    const report = await runSoak({ minutes: 2, sessions: 6, sampleS: 10, talkS: [2, 8], warmupS: 30 });
    expect(report.sessionsRun).toBeGreaterThan(40);
    expect(report.abrupt).toBeGreaterThan(5);
    expect(report.unexpectedCloses).toEqual({});
    // The asr session spoke: turns were found and pocketsphinx ran (a tone would find none).
    expect(report.asr.finalTranscripts).toBeGreaterThan(0);
    for (const p of report.processes) {
      const what = `${p.handler}: ${JSON.stringify({ slopes: p.slopes, end: p.end })}`;
      expect(p.end.sessionsOpen, what).toBe(0);
      expect(Math.abs(p.end.fdsOverStart), what).toBeLessThanOrEqual(2);
      expect(Math.abs(p.end.handlesOverStart), what).toBeLessThanOrEqual(2);
      expect(Math.abs(p.end.timersOverStart), what).toBeLessThanOrEqual(2);
      expect(p.end.heapMBOverStart, what).toBeLessThan(5);
      expect(p.slopes.heapMBPerMin, what).toBeLessThanOrEqual(1);
      // RSS over 90 s of churn moves with the allocator (±5 MB/min measured) while heap, fds and handles
      // stay put: its slope means something over the long soak; here its end over the start must.
      expect(p.end.rssMBOverStart, what).toBeLessThan(10);
      expect(p.slopes.fdsPerMin, what).toBeLessThanOrEqual(2);
      expect(p.slopes.handlesPerMin, what).toBeLessThanOrEqual(2);
    }
  }, 240_000);
});
