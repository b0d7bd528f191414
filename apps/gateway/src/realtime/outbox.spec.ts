import type { JobEvent } from '@jobcast/contracts';
import type { Logger } from 'pino';
import { describe, expect, it } from 'vitest';
import { GatewayMetrics } from '../metrics/gateway-metrics';
import { Outbox, type OutboxTransport } from './outbox';

const progress = (seq: number): JobEvent => ({ jobId: 'j', seq, at: 0, type: 'progress', data: { percent: seq } });
const log = (seq: number): JobEvent => ({ jobId: 'j', seq, at: 0, type: 'log', data: { level: 'info', message: 'x' } });

/** A peer whose transport is busy while the test says so, and which records what reaches it. */
class FakePeer {
  busy = false;
  written: JobEvent[][] = [];
  dropped = false;
  private onDrain: (() => void) | undefined;

  drain(): void {
    this.busy = false;
    const onDrain = this.onDrain;
    this.onDrain = undefined;
    onDrain?.();
  }

  static transport: OutboxTransport<FakePeer> = {
    name: 'websocket',
    isBusy: (peer) => peer.busy,
    write: (peer, events) => peer.written.push([...events]),
    onceDrained: (peer, onDrain) => (peer.onDrain = onDrain),
    dropSlow: (peer) => (peer.dropped = true),
  };
}

function outbox(maxPending = 3): Outbox<FakePeer> {
  const logger = { warn: () => undefined } as unknown as Logger;
  return new Outbox(FakePeer.transport, maxPending, new GatewayMetrics(), logger);
}

describe('Outbox', () => {
  it('writes a burst straight through, as one write, while the transport keeps up', () => {
    const peer = new FakePeer();
    outbox().deliver(peer, [progress(1), progress(2)]);
    expect(peer.written.map((events) => events.map((event) => event.seq))).toEqual([[1, 2]]);
  });

  it('holds events while the transport is busy, conflating progress with fromSeq, and sends them once it drains', () => {
    const peer = new FakePeer();
    const box = outbox(10);
    peer.busy = true;
    box.deliver(peer, [progress(1), progress(2), log(3), progress(4), progress(5)]);
    expect(peer.written).toEqual([]);
    peer.drain();
    expect(peer.written.flat().map((event) => [event.seq, event.fromSeq])).toEqual([
      [2, 1],
      [3, undefined],
      [5, 4],
    ]);
    // Drained: the next event goes straight out again.
    box.deliver(peer, [progress(6)]);
    expect(peer.written.flat().at(-1)?.seq).toBe(6);
  });

  it('keeps order behind a backlog: what arrives while events wait waits too', () => {
    const peer = new FakePeer();
    const box = outbox(10);
    peer.busy = true;
    box.deliver(peer, [log(1)]);
    peer.busy = false;
    box.deliver(peer, [log(2)]);
    expect(peer.written).toEqual([]);
    peer.drain();
    expect(peer.written.flat().map((event) => event.seq)).toEqual([1, 2]);
  });

  it('drops a peer once more lifecycle and log events wait than allowed, and sends it nothing more', () => {
    const peer = new FakePeer();
    const box = outbox(3);
    peer.busy = true;
    box.deliver(peer, [log(1), log(2), log(3)]);
    expect(peer.dropped).toBe(false);
    box.deliver(peer, [log(4)]);
    expect(peer.dropped).toBe(true);
    peer.drain();
    box.deliver(peer, [log(5)]);
    expect(peer.written).toEqual([]);
  });
});
