/**
 * Phone reply segments (docs/telephony.md, "Marks"): after the output has run dry for a few clock
 * ticks following audio, the reply segment is over and a mark `wg-segment-N` follows it; the
 * carrier echoes it once the caller has heard the segment. A clear cuts the segment without a mark.
 * Only on-schedule ticks count: after an event-loop stall the input that arrived during it, which may
 * continue the segment, has not been read yet (docs/architecture.md, "Timing rules"). A pure core: the
 * session tells it what happened and sends the mark it returns.
 */
export class SegmentMarks {
  /** On-schedule ticks with the output dry since the open segment's last frame; undefined = none open. */
  private dryTicks: number | undefined;
  private count = 0;

  constructor(private readonly gapTicks = 3) {}

  /** True while a segment is open (the session stays on the clock to end it). */
  get open(): boolean {
    return this.dryTicks !== undefined;
  }

  /** A frame of audio went out: the segment is open (or goes on). */
  sent(): void {
    this.dryTicks = 0;
  }

  /** The output was cleared (barge-in): the segment ends without a mark. */
  cleared(): void {
    this.dryTicks = undefined;
  }

  /** One on-schedule tick; `dry` = nothing queued or held back. Returns the mark's name when the segment ends. */
  tick(dry: boolean): string | undefined {
    if (this.dryTicks === undefined || !dry) return undefined;
    if (++this.dryTicks < this.gapTicks) return undefined;
    this.dryTicks = undefined;
    return `wg-segment-${++this.count}`;
  }
}
