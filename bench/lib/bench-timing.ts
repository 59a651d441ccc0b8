/**
 * Timing for the micro-benchmarks. Each repetition runs one fixed workload and is timed twice: by
 * the wall clock and by this process's CPU time (user + system, from getrusage). On a shared, noisy
 * machine the CPU time is the better measure of cost "per core" (time the scheduler gave to others is
 * not counted), so rates are reported per CPU second, with the wall-clock rate kept beside them.
 * Medians of the repetitions are quoted; the spread (min..max) is kept in the JSON.
 */
export interface RateStats {
  /** Median units per CPU second. */
  readonly median: number;
  readonly min: number;
  readonly max: number;
  /** Median units per wall-clock second. */
  readonly wallMedian: number;
  readonly repetitions: number;
}

export function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

export interface TimingOptions {
  repetitions: number;
  /** Untimed runs first, so the JIT has compiled the hot paths. */
  warmups: number;
}

/** Runs `work` (which returns how many units it did) and reports units per second. */
export function measureRate(work: () => number, options: TimingOptions): RateStats {
  for (let i = 0; i < options.warmups; i++) work();
  const cpuRates: number[] = [];
  const wallRates: number[] = [];
  for (let i = 0; i < options.repetitions; i++) {
    const cpu0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    const units = work();
    const wall = Number(process.hrtime.bigint() - t0) / 1e9;
    const cpu = process.cpuUsage(cpu0);
    const cpuSeconds = Math.max((cpu.user + cpu.system) / 1e6, 1e-6);
    cpuRates.push(units / cpuSeconds);
    wallRates.push(units / wall);
  }
  return {
    median: median(cpuRates),
    min: Math.min(...cpuRates),
    max: Math.max(...cpuRates),
    wallMedian: median(wallRates),
    repetitions: options.repetitions,
  };
}

/**
 * Measures several workloads in turns: every repetition runs each of them once, in order, so a slow
 * stretch of a shared machine falls on all of them alike instead of on whichever ran then. `ratios`
 * gives, per workload, the median over repetitions of its rate divided by the first workload's rate
 * in the same repetition — the paired comparison that survives a machine changing speed.
 */
export function measureRatesInTurns(works: ReadonlyArray<() => number>, options: TimingOptions): { rates: RateStats[]; ratios: number[] } {
  for (let i = 0; i < options.warmups; i++) for (const work of works) work();
  const cpuRates = works.map(() => [] as number[]);
  const wallRates = works.map(() => [] as number[]);
  for (let r = 0; r < options.repetitions; r++) {
    works.forEach((work, w) => {
      const cpu0 = process.cpuUsage();
      const t0 = process.hrtime.bigint();
      const units = work();
      const wall = Number(process.hrtime.bigint() - t0) / 1e9;
      const cpu = process.cpuUsage(cpu0);
      cpuRates[w]!.push(units / Math.max((cpu.user + cpu.system) / 1e6, 1e-6));
      wallRates[w]!.push(units / wall);
    });
  }
  const rates = cpuRates.map((values, w) => ({
    median: median(values),
    min: Math.min(...values),
    max: Math.max(...values),
    wallMedian: median(wallRates[w]!),
    repetitions: options.repetitions,
  }));
  const ratios = cpuRates.map((values) => median(values.map((v, r) => v / cpuRates[0]![r]!)));
  return { rates, ratios };
}

/** Fixed-width text table: first column left-aligned, the rest right-aligned. */
export function formatTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => (r[c] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    cells.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

/** Markdown table, same cells. */
export function formatMarkdown(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const line = (cells: readonly string[]): string => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map((_, c) => (c === 0 ? '---' : '---:'))), ...rows.map(line)].join('\n');
}

export const fmt = (value: number, digits = 0): string =>
  Number.isFinite(value) ? value.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits }) : String(value);
