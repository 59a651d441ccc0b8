// Test helper (not a test): a real WebRTC offer (werift: Opus audio and FastRTC's `text` data channel),
// for requests that must get past the offer's SDP check. The peer is closed; nobody answers it.
import { MediaStreamTrack, RTCPeerConnection, useOPUS } from 'werift';

export async function offerSdp(): Promise<string> {
  const pc = new RTCPeerConnection({ codecs: { audio: [useOPUS()] } });
  try {
    pc.addTransceiver(new MediaStreamTrack({ kind: 'audio' }), { direction: 'sendrecv' });
    pc.createDataChannel('text');
    await pc.setLocalDescription(await pc.createOffer());
    return pc.localDescription!.sdp;
  } finally {
    await pc.close();
  }
}
