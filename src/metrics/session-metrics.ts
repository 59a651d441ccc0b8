import { Counter, Gauge, type Registry } from 'prom-client';
import type { JitterBufferStats } from '../jitter/jitter-stats.js';
import type { SessionCounters } from '../session/session-stats.js';
import type { MetricsSnapshot } from './metrics-snapshot.js';

type CounterKey = keyof SessionCounters;
type JitterKey = keyof JitterBufferStats;

/** Session counters without a label: metric name → counter field. */
const PLAIN_COUNTERS: ReadonlyArray<readonly [name: string, key: CounterKey, help: string]> = [
  ['messages_received_total', 'messagesIn', 'WebSocket messages received from clients.'],
  ['frames_received_total', 'framesIn', 'Media frames received from clients.'],
  ['received_bytes_total', 'bytesIn', 'Media payload bytes received from clients (decoded from base64 when sent as JSON).'],
  ['frames_sent_total', 'framesOut', 'Media frames sent to clients.'],
  ['sent_bytes_total', 'bytesOut', 'Media payload bytes sent to clients.'],
  ['frames_cleared_total', 'framesCleared', 'Queued output frames dropped by clear (barge-in); intended, but counted.'],
  ['handler_errors_total', 'handlerErrors', 'Errors thrown by handlers (each ends its own session).'],
  ['marks_echoed_total', 'marksEchoed', 'Client marks echoed back once the audio before them was sent.'],
];

/** Frames dropped, by reason: `wavegate_frames_dropped_total{reason}`. */
const DROP_REASONS: ReadonlyArray<readonly [reason: string, key: CounterKey]> = [
  ['handler_busy', 'framesDroppedHandlerBusy'],
  ['undecodable', 'framesDroppedUndecodable'],
  ['output_overflow', 'framesDroppedOutputOverflow'],
  ['slow_consumer', 'framesDroppedSlowConsumer'],
];

/** Jitter-buffer counters, named after their W3C webrtc-stats member (RTCInboundRtpStreamStats). */
const JITTER_COUNTERS: ReadonlyArray<readonly [name: string, key: JitterKey, help: string]> = [
  ['jitter_packets_received_total', 'packetsReceived', 'webrtc-stats packetsReceived: packets pushed into jitter buffers.'],
  ['jitter_packets_discarded_total', 'packetsDiscarded', 'webrtc-stats packetsDiscarded: packets dropped for arriving too late or too early.'],
  ['jitter_buffer_delay_seconds_total', 'jitterBufferDelay', 'webrtc-stats jitterBufferDelay: seconds each emitted sample spent buffered, summed.'],
  ['jitter_buffer_target_delay_seconds_total', 'jitterBufferTargetDelay', 'webrtc-stats jitterBufferTargetDelay: target delay at emission, summed per sample.'],
  ['jitter_buffer_emitted_count_total', 'jitterBufferEmittedCount', 'webrtc-stats jitterBufferEmittedCount: samples emitted from packets.'],
  ['jitter_concealed_samples_total', 'concealedSamples', 'webrtc-stats concealedSamples: samples synthesized for missing packets.'],
  ['jitter_concealment_events_total', 'concealmentEvents', 'webrtc-stats concealmentEvents: runs of concealment after real audio.'],
  ['jitter_inserted_samples_for_deceleration_total', 'insertedSamplesForDeceleration', 'webrtc-stats insertedSamplesForDeceleration.'],
  ['jitter_removed_samples_for_acceleration_total', 'removedSamplesForAcceleration', 'webrtc-stats removedSamplesForAcceleration.'],
  ['jitter_total_samples_received_total', 'totalSamplesReceived', 'webrtc-stats totalSamplesReceived: all samples played out.'],
  ['jitter_packets_late_total', 'packetsLate', 'Packets that came after their turn had passed (dropped).'],
  ['jitter_packets_duplicate_total', 'packetsDuplicate', 'Duplicate packets (dropped, not in packetsDiscarded).'],
  ['jitter_packets_overflow_total', 'packetsOverflow', 'Packets dropped because a jitter buffer was full.'],
  ['jitter_packets_flushed_total', 'packetsFlushed', 'Packets dropped by clear (barge-in).'],
  ['jitter_stream_resets_total', 'streamResets', 'Times a stream restarted (numbering jumped).'],
];

/**
 * The session metrics, computed at scrape time from one snapshot: nothing is counted per frame on the
 * hot path. `update(snapshot)` must be called right before `registry.metrics()`.
 */
export class SessionMetrics {
  private snapshot: MetricsSnapshot | undefined;

  constructor(registry: Registry, prefix = 'wavegate_') {
    const registers = [registry];
    const read = <T>(f: (s: MetricsSnapshot) => T, fallback: T): T => (this.snapshot === undefined ? fallback : f(this.snapshot));
    new Gauge({ name: `${prefix}sessions_open`, help: 'Sessions open now.', registers, collect() { this.set(read((s) => s.sessionsOpen, 0)); } });
    counter(registry, `${prefix}sessions_opened_total`, 'Sessions admitted since start.', () => read((s) => s.sessionsOpened, 0));
    new Counter({
      name: `${prefix}sessions_refused_total`,
      help: 'Sessions refused at admission, by reason (concurrency_limit, duplicate_id).',
      labelNames: ['reason'],
      registers,
      collect() {
        this.reset();
        for (const [reason, n] of Object.entries(read((s) => s.sessionsRefused, {}))) this.inc({ reason }, n);
      },
    });
    new Counter({
      name: `${prefix}sessions_closed_total`,
      help: 'Sessions closed, by close reason.',
      labelNames: ['reason'],
      registers,
      collect() {
        this.reset();
        for (const [reason, n] of Object.entries(read((s) => s.sessionsClosed, {}))) this.inc({ reason }, n);
      },
    });
    for (const [name, key, help] of PLAIN_COUNTERS) counter(registry, `${prefix}${name}`, help, () => read((s) => s.counters[key], 0));
    new Counter({
      name: `${prefix}frames_dropped_total`,
      help: 'Media frames dropped, by reason: handler_busy (input queue full), undecodable, output_overflow, slow_consumer (client not reading).',
      labelNames: ['reason'],
      registers,
      collect() {
        this.reset();
        for (const [reason, key] of DROP_REASONS) this.inc({ reason }, read((s) => s.counters[key], 0));
      },
    });
    new Counter({
      name: `${prefix}messages_dropped_total`,
      help: 'Client messages dropped, by reason (rate_limit: over the per-connection message rate).',
      labelNames: ['reason'],
      registers,
      collect() {
        this.reset();
        this.inc({ reason: 'rate_limit' }, read((s) => s.counters.messagesDroppedRateLimit, 0));
      },
    });
    for (const [name, key, help] of JITTER_COUNTERS) counter(registry, `${prefix}${name}`, help, () => read((s) => s.jitter[key], 0));
    new Gauge({
      name: `${prefix}jitter_packets_lost`,
      help: 'webrtc-stats packetsLost (RFC 3550 cumulative loss) summed over sessions; can go below 0 with duplicates.',
      registers,
      collect() { this.set(read((s) => s.jitter.packetsLost, 0)); },
    });
    new Gauge({
      name: `${prefix}jitter_buffered_seconds`,
      help: 'Audio held in the jitter buffers of open sessions now, summed.',
      registers,
      collect() { this.set(read((s) => s.jitter.bufferedMs / 1000, 0)); },
    });
    counter(registry, `${prefix}pacer_ticks_total`, 'Ticks of the shared output pacer.', () => read((s) => s.pacerTicks, 0));
    counter(registry, `${prefix}pacer_skipped_ticks_total`, 'Pacer deadlines missed by more than one period (the event loop was busy).', () => read((s) => s.pacerSkippedTicks, 0));
  }

  update(snapshot: MetricsSnapshot): void {
    this.snapshot = snapshot;
  }
}

function counter(registry: Registry, name: string, help: string, value: () => number): void {
  new Counter({
    name,
    help,
    registers: [registry],
    collect() {
      this.reset();
      this.inc(Math.max(0, value()));
    },
  });
}
