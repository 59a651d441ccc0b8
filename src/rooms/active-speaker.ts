import { dbfsToLevel } from './frame-level.js';

export interface ActiveSpeakerOptions {
  /** Smoothed level (fraction of full scale) above which a member counts as speaking. */
  readonly speakingLevel: number;
  /** Per-tick smoothing while the level rises (0…1; higher follows faster). */
  readonly attack: number;
  /** Per-tick smoothing while it falls. */
  readonly release: number;
  /** A challenger replaces the active speaker when its smoothed level is this many times louder. */
  readonly switchRatio: number;
}

export const DEFAULT_ACTIVE_SPEAKER: ActiveSpeakerOptions = { speakingLevel: dbfsToLevel(-45), attack: 0.5, release: 0.08, switchRatio: 2 };

/**
 * Who is talking, from audio levels, smoothed as LiveKit does (docs/rooms.md, "Events"): each member's
 * frame level is followed by an envelope that rises fast and falls slowly, a member is speaking while
 * its envelope is above `speakingLevel`, and the active speaker changes only when it stops speaking or
 * a challenger is `switchRatio` times louder (no flapping between two voices). Pure: levels in, the
 * change (if any) out.
 */
export class ActiveSpeaker {
  private readonly options: ActiveSpeakerOptions;
  private readonly envelopes = new Map<string, number>();
  private readonly speakingNow = new Set<string>();
  current: string | undefined;

  constructor(options: ActiveSpeakerOptions = DEFAULT_ACTIVE_SPEAKER) {
    this.options = options;
  }

  forget(id: string): void {
    this.envelopes.delete(id);
    this.speakingNow.delete(id);
  }

  /** The smoothed level of a member (0…1). */
  level(id: string): number {
    return this.envelopes.get(id) ?? 0;
  }

  get speaking(): ReadonlySet<string> {
    return this.speakingNow;
  }

  /**
   * One tick's levels (`heardLevel`: the member's RMS if heard, else 0). Returns the members that began
   * speaking this tick (speech onsets, for barge-in), and whether the active speaker changed.
   */
  update(levels: Iterable<readonly [string, number]>): { onsets: string[]; changed: boolean } {
    const { attack, release, speakingLevel, switchRatio } = this.options;
    const onsets: string[] = [];
    for (const [id, level] of levels) {
      const prev = this.envelopes.get(id) ?? 0;
      const env = prev + (level - prev) * (level > prev ? attack : release);
      this.envelopes.set(id, env);
      const speaking = env >= speakingLevel;
      if (speaking && !this.speakingNow.has(id)) {
        this.speakingNow.add(id);
        onsets.push(id);
      } else if (!speaking) this.speakingNow.delete(id);
    }
    let loudest: string | undefined;
    let loudestLevel = 0;
    for (const id of this.speakingNow) {
      const env = this.envelopes.get(id)!;
      if (env > loudestLevel) {
        loudest = id;
        loudestLevel = env;
      }
    }
    const before = this.current;
    if (this.current === undefined || !this.speakingNow.has(this.current)) this.current = loudest;
    else if (loudest !== undefined && loudest !== this.current && loudestLevel >= switchRatio * this.envelopes.get(this.current)!) this.current = loudest;
    return { onsets, changed: before !== this.current };
  }
}
