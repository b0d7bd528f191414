import { SocketEvent, type DisconnectReason } from '@jobcast/contracts';
import type { JobsSocket } from './jobs-socket';

const NOTICES: Record<DisconnectReason, string> = {
  SHUTTING_DOWN: 'this gateway is restarting; reconnect (to another one) and resume from your last seq',
  SLOW_CONSUMER: 'too many events waiting for this connection; reconnect and resume from your last seq',
  TOKEN_EXPIRED: 'the token has expired; reconnect with a fresh one and resume from your last seq',
};

/**
 * A deliberate disconnect: the `gateway:disconnect` notice saying why (Socket.IO's own disconnect carries no
 * reason), then the disconnect.
 */
export function disconnectWithNotice(socket: JobsSocket, reason: DisconnectReason): void {
  socket.emit(SocketEvent.DISCONNECT_NOTICE, { reason, message: NOTICES[reason] });
  socket.disconnect(true);
}
