import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { ConnectionLimiter } from './connection-limiter';

const from = (address: string, forwardedFor?: string): IncomingMessage =>
  ({
    headers: forwardedFor === undefined ? {} : { 'x-forwarded-for': forwardedFor },
    socket: { remoteAddress: address },
  }) as unknown as IncomingMessage;

describe('ConnectionLimiter', () => {
  function limiter(trustProxy = false): {
    limiter: ConnectionLimiter;
    open: IncomingMessage[];
    clock: { now: number };
  } {
    const open: IncomingMessage[] = [];
    const clock = { now: 0 };
    const connections = new ConnectionLimiter(2, trustProxy, () => clock.now);
    connections.addTransport({
      count: () => open.length,
      clientIps: () => open.map((request) => connections.clientIp(request)),
    });
    return { limiter: connections, open, clock };
  }

  it('refuses an IP at its limit while its connections are open, and lets it back once they close', () => {
    const { limiter: connections, open, clock } = limiter();
    for (const request of [from('10.0.0.1'), from('10.0.0.1')]) {
      expect(connections.allows(request)).toBe(true);
      connections.add(connections.clientIp(request));
      open.push(request);
    }
    expect(connections.allows(from('10.0.0.1'))).toBe(false);
    expect(connections.allows(from('10.0.0.2'))).toBe(true);
    open.length = 0;
    // Counted again from the open connections, but not more often than every 100 ms.
    expect(connections.allows(from('10.0.0.1'))).toBe(false);
    clock.now += 100;
    expect(connections.allows(from('10.0.0.1'))).toBe(true);
  });

  it('counts the connections of every transport together', () => {
    const clock = { now: 0 };
    const connections = new ConnectionLimiter(2, false, () => clock.now);
    const socketIo = [from('10.0.0.1')];
    const plain = [from('10.0.0.1')];
    for (const open of [socketIo, plain]) {
      connections.addTransport({
        count: () => open.length,
        clientIps: () => open.map((request) => connections.clientIp(request)),
      });
      connections.add('10.0.0.1');
    }
    expect(connections.allows(from('10.0.0.1'))).toBe(false);
    plain.length = 0;
    clock.now += 100;
    expect(connections.allows(from('10.0.0.1'))).toBe(true);
  });

  it('reads the client from the last X-Forwarded-For entry only behind a trusted proxy', () => {
    expect(limiter(true).limiter.clientIp(from('10.0.0.9', '1.1.1.1, 2.2.2.2'))).toBe('2.2.2.2');
    expect(limiter(false).limiter.clientIp(from('10.0.0.9', '1.1.1.1, 2.2.2.2'))).toBe('10.0.0.9');
  });
});
