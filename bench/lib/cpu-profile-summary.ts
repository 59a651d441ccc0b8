/**
 * Summarises a V8 CPU profile (`node --cpu-prof`, a .cpuprofile JSON file): the functions with the most
 * self time (time on top of the stack), and the same time grouped by where the code lives (a wavegate
 * source file, a dependency, Node internals, GC, idle). Used for bench/results/profile-*.md.
 *
 *   node dist/bench/lib/cpu-profile-summary.js FILE.cpuprofile [--top N] [--title TEXT]
 */
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

interface CallFrame {
  readonly functionName: string;
  readonly url: string;
  readonly lineNumber: number;
}
interface ProfileNode {
  readonly id: number;
  readonly callFrame: CallFrame;
}
interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly startTime: number;
  readonly endTime: number;
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

export interface SelfTime {
  readonly name: string;
  readonly where: string;
  readonly ms: number;
  readonly percent: number;
}

export interface ProfileSummary {
  readonly totalMs: number;
  /** Time not idle: what the process spent working. */
  readonly busyMs: number;
  readonly functions: readonly SelfTime[];
  readonly groups: readonly SelfTime[];
}

/** Where a frame's code lives, in a few words: `src/session/session.ts`, `ws`, `node:internal`, `(garbage collector)`. */
function place(frame: CallFrame): string {
  const { url, functionName } = frame;
  if (url === '') return functionName.startsWith('(') ? functionName : '(native)';
  if (url.startsWith('node:')) return 'node:internal';
  const path = url.startsWith('file://') ? fileURLToPath(url) : url;
  const modules = path.lastIndexOf('/node_modules/');
  if (modules >= 0) {
    const rest = path.slice(modules + '/node_modules/'.length).split('/');
    return rest[0]!.startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]!;
  }
  const dist = path.lastIndexOf('/dist/');
  return (dist >= 0 ? path.slice(dist + '/dist/'.length) : path).replace(/\.js$/, '.ts');
}

export function summarizeProfile(profile: CpuProfile, top = 25): ProfileSummary {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<number, number>();
  // timeDeltas[i] is the time from sample i-1 to sample i; charge it to the sample it ends at.
  for (let i = 0; i < profile.samples.length; i++) {
    const id = profile.samples[i]!;
    selfUs.set(id, (selfUs.get(id) ?? 0) + Math.max(0, profile.timeDeltas[i] ?? 0));
  }
  const fn = new Map<string, { name: string; where: string; us: number }>();
  const group = new Map<string, number>();
  let totalUs = 0;
  let idleUs = 0;
  for (const [id, us] of selfUs) {
    const { callFrame } = byId.get(id)!;
    totalUs += us;
    if (callFrame.functionName === '(idle)') idleUs += us;
    const where = place(callFrame);
    const name = callFrame.functionName || '(anonymous)';
    const key = `${name}@${callFrame.url}:${callFrame.lineNumber}`;
    const entry = fn.get(key) ?? { name, where: callFrame.url === '' ? where : `${where}:${callFrame.lineNumber + 1}`, us: 0 };
    entry.us += us;
    fn.set(key, entry);
    group.set(where, (group.get(where) ?? 0) + us);
  }
  const busyUs = totalUs - idleUs;
  const pct = (us: number): number => (busyUs > 0 ? (100 * us) / busyUs : 0);
  const functions = [...fn.values()]
    .filter((f) => f.name !== '(idle)')
    .sort((a, b) => b.us - a.us)
    .slice(0, top)
    .map((f) => ({ name: f.name, where: f.where, ms: f.us / 1000, percent: pct(f.us) }));
  const groups = [...group.entries()]
    .filter(([where]) => where !== '(idle)')
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([where, us]) => ({ name: where, where, ms: us / 1000, percent: pct(us) }));
  return { totalMs: totalUs / 1000, busyMs: busyUs / 1000, functions, groups };
}

export function profileMarkdown(summary: ProfileSummary, title: string): string {
  const lines = [`## ${title}`, '', `Profiled ${(summary.totalMs / 1000).toFixed(1)} s, of which ${(summary.busyMs / 1000).toFixed(1)} s busy (not idle). Percentages are of busy time.`, ''];
  lines.push('Top functions by self time:', '', '| # | function | where | self ms | % busy |', '|---:|---|---|---:|---:|');
  summary.functions.forEach((f, i) => lines.push(`| ${i + 1} | \`${f.name}\` | ${f.where} | ${f.ms.toFixed(0)} | ${f.percent.toFixed(1)} |`));
  lines.push('', 'Self time by where the code lives:', '', '| where | self ms | % busy |', '|---|---:|---:|');
  for (const g of summary.groups) lines.push(`| ${g.name} | ${g.ms.toFixed(0)} | ${g.percent.toFixed(1)} |`);
  return `${lines.join('\n')}\n`;
}

async function main(argv: readonly string[]): Promise<void> {
  const file = argv[0];
  if (file === undefined) throw new TypeError('Expected a .cpuprofile file: node dist/bench/lib/cpu-profile-summary.js FILE [--top N] [--title TEXT]');
  let top = 25;
  let title = file;
  for (let i = 1; i < argv.length; i += 2) {
    if (argv[i] === '--top' && Number.isInteger(Number(argv[i + 1]))) top = Number(argv[i + 1]);
    else if (argv[i] === '--title' && argv[i + 1] !== undefined) title = argv[i + 1]!;
    else throw new TypeError(`Expected \`--top N\` or \`--title TEXT\`, got \`${argv[i]} ${argv[i + 1] ?? ''}\``);
  }
  const profile = JSON.parse(await readFile(file, 'utf8')) as CpuProfile;
  process.stdout.write(profileMarkdown(summarizeProfile(profile, top), title));
}

if (process.argv[1] !== undefined && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  main(process.argv.slice(2)).catch((err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exitCode = 1;
  });
}
