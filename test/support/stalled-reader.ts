import type { RawSocket } from './raw-socket';

interface TcpSocket {
  pause(): void;
  resume(): void;
}

/** The TCP socket under a Socket.IO client's websocket transport (ws's own, in Node). */
function tcpSocketOf(socket: RawSocket): TcpSocket {
  const transport = socket.io.engine.transport as unknown as { ws?: { _socket?: TcpSocket } };
  const tcp = transport.ws?._socket;
  if (!tcp) throw new Error('not on the websocket transport');
  return tcp;
}

/**
 * Makes a Socket.IO client stop reading, while it can still send: its TCP socket is paused, so what the
 * gateway writes fills the kernel's buffers and then the gateway's own — the slowest consumer there is.
 * Answers how to make it read again.
 */
export function stopReading(socket: RawSocket): () => void {
  const tcp = tcpSocketOf(socket);
  tcp.pause();
  return () => tcp.resume();
}

interface PollingTransport {
  readyState: string;
  pause(onPause: () => void): void;
  _poll(): void;
}

/**
 * A long-polling client that stops reading: while paused it sends no poll request, so the gateway can
 * only hold on to what it has for it — the slowest consumer there is.
 */
function pollingTransport(socket: RawSocket): PollingTransport {
  return socket.io.engine.transport as unknown as PollingTransport;
}

/** Makes a long-polling client stop polling; resolves once its poll in flight is done. */
export function pause(socket: RawSocket): Promise<void> {
  return new Promise((resolve) => pollingTransport(socket).pause(resolve));
}

/** Makes a paused long-polling client poll again. */
export function resume(socket: RawSocket): void {
  const transport = pollingTransport(socket);
  transport.readyState = 'open';
  transport._poll();
}
