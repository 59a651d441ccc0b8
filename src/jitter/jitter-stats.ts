/**
 * Jitter buffer counters, named as the W3C webrtc-stats RTCInboundRtpStreamStats members
 * (https://www.w3.org/TR/webrtc-stats/#inboundrtpstats-dict*) plus a few wavegate ones. Sample
 * counts are per channel, at the buffer's sample rate. Delays summed per emitted sample are in
 * seconds, as the spec has them: average delay = jitterBufferDelay / jitterBufferEmittedCount.
 */
export interface JitterBufferStats {
  /** Packets pushed, including duplicates, late and overflowed ones (RFC 3550 "received"). */
  packetsReceived: number;
  /**
   * RFC 3550 §6.4.1 cumulative loss: packets expected (from the sequence numbers, or timestamps over
   * the frame duration) minus packets received. Duplicates count as received, so it can go below 0
   * (the spec's type is signed). Always 0 in arrival-order mode, where gaps cannot be seen.
   */
  packetsLost: number;
  /** Packets dropped for arriving late (already played out or concealed) or early (overflow). */
  packetsDiscarded: number;
  /** Sum over emitted samples of the time each spent in the buffer, seconds. */
  jitterBufferDelay: number;
  /** Sum over emitted samples of the target delay at emission, seconds. */
  jitterBufferTargetDelay: number;
  /** Samples that came out of packets (concealment not included). */
  jitterBufferEmittedCount: number;
  /** Samples synthesized to cover lost or not-yet-arrived packets. */
  concealedSamples: number;
  /** Runs of concealment that followed real audio. */
  concealmentEvents: number;
  /** Samples added to slow playout down (buffer below target). */
  insertedSamplesForDeceleration: number;
  /** Samples removed to speed playout up (buffer far above target). */
  removedSamplesForAcceleration: number;
  /** All samples played out: emitted + concealed + inserted. */
  totalSamplesReceived: number;
  /** RFC 3550 interarrival jitter, seconds. */
  jitter: number;

  // wavegate counters
  /** Packets that came after their turn had passed; dropped. */
  packetsLate: number;
  /** Packets seen before (in the buffer or just played); dropped, not in packetsDiscarded (as the spec says). */
  packetsDuplicate: number;
  /** Packets dropped because the buffer was full. */
  packetsOverflow: number;
  /** Packets dropped by flush() (barge-in / clear). */
  packetsFlushed: number;
  /** Times the stream was restarted (numbering jumped back or far ahead). */
  streamResets: number;

  // gauges
  /** Current target delay, ms. */
  targetDelayMs: number;
  /** Audio currently buffered, ms. */
  bufferedMs: number;
  /** Packets currently buffered. */
  bufferedPackets: number;
}

export function emptyJitterBufferStats(): JitterBufferStats {
  return {
    packetsReceived: 0,
    packetsLost: 0,
    packetsDiscarded: 0,
    jitterBufferDelay: 0,
    jitterBufferTargetDelay: 0,
    jitterBufferEmittedCount: 0,
    concealedSamples: 0,
    concealmentEvents: 0,
    insertedSamplesForDeceleration: 0,
    removedSamplesForAcceleration: 0,
    totalSamplesReceived: 0,
    jitter: 0,
    packetsLate: 0,
    packetsDuplicate: 0,
    packetsOverflow: 0,
    packetsFlushed: 0,
    streamResets: 0,
    targetDelayMs: 0,
    bufferedMs: 0,
    bufferedPackets: 0,
  };
}
