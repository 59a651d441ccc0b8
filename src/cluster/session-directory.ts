/**
 * The cluster's session directory (docs/scale-out.md): every session of every transport, under its id,
 * with the node that holds it. Admission is decided here for the whole cluster (duplicate ids, the
 * cluster concurrency limit); the local registry still decides for its own process first.
 */

/** What the directory knows of one session (GET /sessions answers with these). */
export interface DirectoryEntry {
  readonly id: string;
  /** The node (gateway process) holding the session. */
  readonly node: string;
  /** Channel-layer channel of that node's router: where forwarded requests go. */
  readonly channel: string;
  /** Base URL the node advertises to the other nodes (recordings are proxied there). */
  readonly url: string;
  readonly transport: 'websocket' | 'webrtc';
  /** The wire protocol: fastrtc, twilio, telnyx, plivo, webrtc. */
  readonly carrier: string;
  readonly handler: string;
  /** Wall-clock ms on the admitting node. The earlier of two sessions on one id keeps it. */
  readonly started: number;
  /** Whether the session is being recorded (GET /recordings/{id}.wav on any node). */
  readonly recording: boolean;
}

export type DirectoryAdmission =
  | { ok: true; degraded: boolean }
  | { ok: false; reason: 'duplicate' | 'limit'; limit: number | null };

export interface DirectoryStats {
  readonly kind: 'redis' | 'ipc';
  /** The shared store cannot be reached: sessions are admitted against the local limit only. */
  readonly degraded: boolean;
  /** Sessions this node admitted while degraded. */
  readonly admittedDegraded: number;
  /** Times the store was found lost (a command failed or took longer than the timeout). */
  readonly lost: number;
  /** Times this node's sessions were registered again after the store came back. */
  readonly resyncs: number;
  /** Sessions of this node closed because an earlier session held their id (found on resync). */
  readonly conflictsLost: number;
  readonly refusedDuplicate: number;
  readonly refusedLimit: number;
}

export interface SessionDirectory {
  readonly nodeId: string;
  start(): Promise<void>;
  /** Registers `entry` if its id is free and the cluster limit allows; never rejects. */
  admit(entry: DirectoryEntry): Promise<DirectoryAdmission>;
  /** Removes a session of this node at once (or as soon as the store is back). */
  release(id: string): void;
  /** The entry of `id` held by another node, or undefined (not found, ours, or the store is unreachable). */
  remoteOwner(id: string): Promise<DirectoryEntry | undefined>;
  /** Every session of the cluster; null when the store cannot be reached. */
  list(): Promise<DirectoryEntry[] | null>;
  stats(): DirectoryStats;
  close(): Promise<void>;
}
