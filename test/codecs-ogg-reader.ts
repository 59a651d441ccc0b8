/** Test helper: the packets of a single-stream Ogg file (RFC 3533), e.g. an Ogg Opus file from ffmpeg. */
export function oggPackets(file: Uint8Array): Uint8Array[] {
  const packets: Uint8Array[] = [];
  let pending: Uint8Array[] = [];
  let pos = 0;
  while (pos + 27 <= file.length) {
    if (file[pos] !== 0x4f || file[pos + 1] !== 0x67 || file[pos + 2] !== 0x67 || file[pos + 3] !== 0x53) throw new Error(`no OggS at ${pos}`);
    const segments = file[pos + 26]!;
    const table = file.subarray(pos + 27, pos + 27 + segments);
    let body = pos + 27 + segments;
    for (const lace of table) {
      pending.push(file.subarray(body, body + lace));
      body += lace;
      if (lace < 255) {
        packets.push(Buffer.concat(pending));
        pending = [];
      }
    }
    pos = body;
  }
  return packets;
}

/** Pre-skip (samples at 48 kHz) from an OpusHead packet. */
export function opusPreSkip(head: Uint8Array): number {
  if (Buffer.from(head.subarray(0, 8)).toString('latin1') !== 'OpusHead') throw new Error('not an OpusHead packet');
  return head[10]! | (head[11]! << 8);
}

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let r = i << 24;
    for (let b = 0; b < 8; b++) r = r & 0x80000000 ? (r << 1) ^ 0x04c11db7 : r << 1;
    t[i] = r >>> 0;
  }
  return t;
})();

function oggCrc(page: Uint8Array): number {
  let crc = 0;
  for (const byte of page) crc = ((crc << 8) ^ CRC_TABLE[((crc >>> 24) ^ byte) & 0xff]!) >>> 0;
  return crc;
}

function oggPage(packet: Uint8Array, flags: number, granule: bigint, sequence: number): Uint8Array {
  const lacing: number[] = [];
  let left = packet.length;
  while (left >= 255) {
    lacing.push(255);
    left -= 255;
  }
  lacing.push(left);
  if (lacing.length > 255) throw new Error('packet too large for one Ogg page');
  const page = Buffer.alloc(27 + lacing.length + packet.length);
  page.write('OggS', 0, 'latin1');
  page[5] = flags;
  page.writeBigInt64LE(granule, 6);
  page.writeUInt32LE(0x5747, 14); // stream serial number
  page.writeUInt32LE(sequence, 18);
  page[26] = lacing.length;
  page.set(lacing, 27);
  page.set(packet, 27 + lacing.length);
  page.writeUInt32LE(oggCrc(page), 22);
  return page;
}

/** A mono Ogg Opus file (RFC 7845) holding `packets`, one per page; durations in 48 kHz samples. */
export function oggOpusFile(packets: Uint8Array[], packetSamples48k: number, inputRate: number, preSkip: number): Uint8Array {
  const head = Buffer.alloc(19);
  head.write('OpusHead', 0, 'latin1');
  head[8] = 1;
  head[9] = 1;
  head.writeUInt16LE(preSkip, 10);
  head.writeUInt32LE(inputRate, 12);
  const vendor = Buffer.from('wavegate test');
  const tags = Buffer.alloc(8 + 4 + vendor.length + 4);
  tags.write('OpusTags', 0, 'latin1');
  tags.writeUInt32LE(vendor.length, 8);
  vendor.copy(tags, 12);
  const pages = [oggPage(head, 0x02, 0n, 0), oggPage(tags, 0, 0n, 1)];
  packets.forEach((p, i) => {
    const last = i === packets.length - 1;
    pages.push(oggPage(p, last ? 0x04 : 0, BigInt((i + 1) * packetSamples48k), i + 2));
  });
  return Buffer.concat(pages);
}
