import type { SessionCounters } from '../session/session-stats.js';
import type { OutputPipeline } from './output-pipeline.js';
import { SegmentMarks } from './segment-marks.js';
import { SendPolicy } from './send-policy.js';
import type { SessionSink } from './session-sink.js';
import type { TapFeed } from './tap-feed.js';

export interface OutputSenderOptions {
  readonly maxBufferedBytes: number;
  readonly slowConsumerTimeoutMs: number;
  /** The carrier confirms played marks itself (Twilio): phone reply segments get `wg-segment-N` marks. */
  readonly carrierConfirmsMarks: boolean;
}

/**
 * The last step of the media path (docs/architecture.md, "Outbound"): what the output pipeline has
 * due goes to the sink. A frame is encoded at send time into one reused message, or dropped when the
 * socket is not reading (SendPolicy); marks go out in order with the audio before them; phone reply
 * segments end with a mark once the output has run dry (SegmentMarks). Nothing calls back: `sendDue`
 * says whether the client has become a slow consumer, and the handler's marks that count as heard
 * when sent wait in `heardMarks` for the session to pass on.
 */
export class OutputSender {
  /** Handler marks sent to a carrier that does not confirm them: heard now. Read and empty it after `sendDue`. */
  readonly heardMarks: string[] = [];
  private readonly output: OutputPipeline;
  private readonly sink: SessionSink;
  private readonly counters: SessionCounters;
  private readonly taps: TapFeed;
  private readonly policy: SendPolicy;
  private readonly segments: SegmentMarks | undefined;
  /** `sink.sendMedia`, or `sink.send` of a media message for a sink without it. */
  private readonly sendMedia: (payload: Uint8Array) => boolean;
  /** The sink copies each payload at once, so it is encoded into scratch (SessionSink.copiesMedia). */
  private readonly scratchPayloads: boolean;

  constructor(output: OutputPipeline, sink: SessionSink, counters: SessionCounters, taps: TapFeed, options: OutputSenderOptions) {
    this.output = output;
    this.sink = sink;
    this.counters = counters;
    this.taps = taps;
    this.policy = new SendPolicy(options.maxBufferedBytes, options.slowConsumerTimeoutMs);
    this.segments = options.carrierConfirmsMarks ? new SegmentMarks() : undefined;
    this.scratchPayloads = sink.copiesMedia === true && sink.sendMedia !== undefined;
    if (sink.sendMedia !== undefined) {
      this.sendMedia = sink.sendMedia.bind(sink);
    } else {
      const media: { readonly type: 'media'; payload: Uint8Array } = { type: 'media', payload: new Uint8Array(0) };
      this.sendMedia = (payload) => {
        media.payload = payload;
        return sink.send(media);
      };
    }
  }

  /** A phone reply segment is open (the session stays on the clock to end it). */
  get segmentOpen(): boolean {
    return this.segments?.open ?? false;
  }

  /** Sends everything due at `now`; 'slow_consumer' when the client stopped reading for too long (the session ends). */
  sendDue(now: number): 'slow_consumer' | undefined {
    const { sink, output } = this;
    for (let due = output.next(now); due !== undefined; due = output.next(now)) {
      if (due === 'mark') {
        const mark = output.takeMark();
        sink.send({ type: 'mark', name: mark.name });
        this.counters.marksEchoed++;
        if (mark.origin === 'handler' && this.segments === undefined) this.heardMarks.push(mark.name);
        continue;
      }
      const verdict = this.policy.verdict(sink.bufferedAmount, now);
      if (verdict !== 'send') {
        output.dropFrame();
        this.counters.framesDroppedSlowConsumer++;
        if (verdict === 'drop') continue;
        return 'slow_consumer';
      }
      // A socket may still hold the last payload's bytes (binary output goes out as a view of them, and
      // is written at the end of the turn or once the socket drains): that buffer is then the socket's.
      if (sink.holdsMedia?.()) output.payloadKept();
      const payload = output.takeFrame(this.scratchPayloads);
      if (!this.sendMedia(payload)) continue;
      if (sink.holdsMedia === undefined && sink.bufferedAmount > 0) output.payloadKept();
      this.counters.framesOut++;
      this.counters.bytesOut += payload.byteLength;
      this.segments?.sent();
      if (this.taps.active) this.taps.output(output.lastPcm, now);
    }
    return undefined;
  }

  /**
   * Phone sessions, on an on-schedule tick before sending (the tick that sends the last frame is not
   * dry): a reply segment whose output has run dry ends with a mark (segment-marks.ts).
   */
  endSegmentIfDry(): void {
    if (this.segments === undefined) return;
    const mark = this.segments.tick(this.output.isEmpty && !this.output.hasResidual);
    if (mark !== undefined) this.sink.send({ type: 'mark', name: mark });
  }

  /** The output was cleared (barge-in): the open segment ends without a mark. */
  cleared(): void {
    this.segments?.cleared();
  }
}
