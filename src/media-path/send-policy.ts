/**
 * Whether a due frame goes to a client now (docs/architecture.md, "Outbound"): a socket holding more
 * than `maxBufferedBytes` unwritten is not reading, so the frame is dropped (and counted by the
 * caller) rather than queued without bound; one that stays behind for `slowConsumerTimeoutMs` is a
 * slow consumer and the session ends. A pure core: `now` and the sink's `bufferedAmount` come in.
 */
export type SendVerdict = 'send' | 'drop' | 'give_up';

export class SendPolicy {
  private behindSince: number | undefined;

  constructor(
    private readonly maxBufferedBytes: number,
    private readonly slowConsumerTimeoutMs: number,
  ) {}

  verdict(bufferedAmount: number, now: number): SendVerdict {
    if (bufferedAmount <= this.maxBufferedBytes) {
      this.behindSince = undefined;
      return 'send';
    }
    this.behindSince ??= now;
    return now - this.behindSince > this.slowConsumerTimeoutMs ? 'give_up' : 'drop';
  }
}
