import { frameRms } from './frame-level.js';
import type { ParticipantInput } from './participant-input.js';
import { softLimitInto, softLimitMinusInto } from './soft-limit.js';

/** One member of the mix: its input, its controls, and where its N−1 mix goes. */
export interface MixerMember {
  readonly id: string;
  readonly input: ParticipantInput;
  muted: boolean;
  /** Linear gain on what the others hear of this member (1 = as sent). */
  gain: number;
  /**
   * Receives its mix each tick (`pcm` is lent for the call). With `always` false (people), a tick where
   * nobody else is heard delivers nothing: a silent room costs no resampling or encoding. Handlers that
   * need a continuous stream (pause detection) set `always`.
   */
  readonly listener: ((pcm: Int16Array, now: number) => void) | undefined;
  readonly always: boolean;
  /** Set by the tick: the frame taken this tick (before mute and gain), or undefined. Valid until the next tick. */
  frame: Int16Array | undefined;
  /** Set by the tick: RMS of `frame` (0…1), 0 without one. */
  level: number;
  /** Set by the tick: this member's audio is in the mix this tick. */
  heard: boolean;
}

export interface MixerTickStats {
  /** Members whose frame went into the mix. */
  heard: number;
  /** Mixes delivered (listeners that heard someone, or want every tick). */
  delivered: number;
}

/**
 * The pure mixing core of one room (docs/rooms.md, "Mixing rules"). Each tick takes one frame from every
 * member, adds the ones that are heard (not muted, gain > 0, above the level gate) into one total, and
 * gives each listener the total minus its own contribution: O(N) work for N members, not O(N²). Members
 * not heard this tick all get the same mix, limited once. Mixes are soft-limited (never clipped). No
 * clock, no I/O: `now` is passed in and handed to the listeners.
 */
export class RoomMixer {
  readonly frameSamples: number;
  /** Frames quieter than this RMS (fraction of full scale) are not mixed: silent members cost almost nothing. */
  gateLevel: number;
  private readonly members: MixerMember[] = [];
  private readonly total: Float64Array;
  private readonly shared: Int16Array;
  private readonly own: Int16Array;
  private readonly silence: Int16Array;
  ticks = 0;
  /** The mix of everyone heard (limited), on ticks where someone is (a room recording; `pcm` lent for the call). */
  onMix: ((pcm: Int16Array, now: number) => void) | undefined;

  constructor(frameSamples: number, gateLevel: number) {
    this.frameSamples = frameSamples;
    this.gateLevel = gateLevel;
    this.total = new Float64Array(frameSamples);
    this.shared = new Int16Array(frameSamples);
    this.own = new Int16Array(frameSamples);
    this.silence = new Int16Array(frameSamples);
  }

  get size(): number {
    return this.members.length;
  }

  add(member: MixerMember): void {
    this.members.push(member);
  }

  remove(member: MixerMember): void {
    const i = this.members.indexOf(member);
    if (i >= 0) this.members.splice(i, 1);
  }

  tick(now: number): MixerTickStats {
    this.ticks++;
    const { members, total, frameSamples: n } = this;
    let heard = 0;
    for (const m of members) {
      const frame = m.input.take();
      m.frame = frame;
      m.level = frame === undefined ? 0 : frameRms(frame);
      m.heard = frame !== undefined && !m.muted && m.gain > 0 && m.level >= this.gateLevel;
      if (!m.heard) continue;
      // The first heard frame is written, the others added: no separate clearing pass.
      if (heard === 0) {
        const g = m.gain;
        for (let i = 0; i < n; i++) total[i] = g * frame![i]!;
      } else {
        const g = m.gain;
        for (let i = 0; i < n; i++) total[i] = total[i]! + g * frame![i]!;
      }
      heard++;
    }
    let delivered = 0;
    let sharedReady = false;
    for (const m of members) {
      const listener = m.listener;
      if (listener === undefined) continue;
      const others = heard - (m.heard ? 1 : 0);
      if (others === 0) {
        if (!m.always) continue;
        listener(this.silence, now);
        delivered++;
        continue;
      }
      if (m.heard) {
        softLimitMinusInto(total, m.frame!, m.gain, this.own, n);
        listener(this.own, now);
      } else {
        if (!sharedReady) {
          softLimitInto(total, this.shared, n);
          sharedReady = true;
        }
        listener(this.shared, now);
      }
      delivered++;
    }
    if (this.onMix !== undefined && heard > 0) {
      if (!sharedReady) softLimitInto(total, this.shared, n);
      this.onMix(this.shared, now);
    }
    return { heard, delivered };
  }
}
