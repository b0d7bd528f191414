import type { PlainSocket } from './plain-socket';

/**
 * Finds the plain WebSockets whose peers are gone without a close (a laptop that slept, a dropped NAT entry):
 * every socket gets a ping frame each WS_HEARTBEAT, and one not heard from (a pong, any message) since the last
 * two is terminated. One timer for every socket, and a counter on each.
 */
export class PlainKeepalive {
  private timer: NodeJS.Timeout | undefined;

  start(sockets: Set<PlainSocket>, intervalMs: number): void {
    this.timer = setInterval(() => ping(sockets), intervalMs).unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }
}

/** The peer was heard from: it is there. */
export function heardFrom(socket: PlainSocket): void {
  socket.missedPings = 0;
}

function ping(sockets: Set<PlainSocket>): void {
  for (const socket of sockets) {
    if (socket.missedPings >= 2) {
      socket.terminate();
      continue;
    }
    socket.missedPings += 1;
    socket.ping();
  }
}
