/**
 * The soak's trend fit (docs/security.md, "Soak"): how fast a reading grows per minute at a constant
 * number of open sessions. Each open session holds its own fds, handles and memory (a socket, a
 * recogniser's pipes, its buffers), and the churn leaves a different number open at each sample: a plain
 * fit of the reading on time turns that into a slope (seen: 2.4 fds/min in the 2-minute soak of a
 * gateway that ended with exactly the fds it started with). So the reading is fitted on time and on
 * sessions open together (least squares, y = a + b·t + c·s), and b is the trend. When the sessions
 * open do not vary, or vary in step with time, it is the plain fit on time.
 */
export function trendPerMinute(points: readonly { atMin: number; sessionsOpen: number; value: number }[]): number {
  const n = points.length;
  if (n < 2) return 0;
  let mt = 0;
  let ms = 0;
  let my = 0;
  for (const p of points) {
    mt += p.atMin / n;
    ms += p.sessionsOpen / n;
    my += p.value / n;
  }
  let stt = 0;
  let sss = 0;
  let sts = 0;
  let sty = 0;
  let ssy = 0;
  for (const p of points) {
    const t = p.atMin - mt;
    const s = p.sessionsOpen - ms;
    const y = p.value - my;
    stt += t * t;
    sss += s * s;
    sts += t * s;
    sty += t * y;
    ssy += s * y;
  }
  if (stt === 0) return 0;
  const det = stt * sss - sts * sts;
  // Sessions open constant, or collinear with time (det ≈ 0 relative to its terms): time alone.
  if (sss === 0 || det <= 1e-9 * stt * sss) return sty / stt;
  return (sty * sss - ssy * sts) / det;
}
