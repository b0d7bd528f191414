import type { SubscribeAck } from '@jobcast/contracts';
import type { Logger } from 'pino';
import type { Subscriptions, SubscriberTransport } from '../subscriptions';
import type { AuthenticatedRequest } from './plain-auth';
import type { PlainSocket } from './plain-socket';
import { sendMessage, type PlainReply } from './plain-transport';

function withoutOk<T extends { ok: true }>(ack: T): Omit<T, 'ok'> {
  const { ok: _ok, ...rest } = ack;
  return rest;
}

/**
 * An authenticated socket's requests, each to the delivery core or answered here, with the request's `id`
 * echoed: `ping` → `pong`, `unsubscribe` → `unsubscribed`, `subscribe` → `subscribed` or `error`.
 */
export class PlainDispatch {
  constructor(
    private readonly subscriptions: Subscriptions,
    private readonly transport: SubscriberTransport<PlainSocket>,
    private readonly logger: Logger,
    private readonly reply: PlainReply,
  ) {}

  handle(socket: PlainSocket, request: AuthenticatedRequest): void {
    const { id } = request;
    const echo = id === undefined ? {} : { id };
    switch (request.type) {
      case 'ping':
        return this.reply(socket, { type: 'pong', ...echo });
      case 'unsubscribe':
        this.subscriptions.unsubscribe(socket, request.jobId);
        return this.reply(socket, { type: 'unsubscribed', ...echo, jobId: request.jobId });
      case 'subscribe': {
        const { jobId } = request;
        // The core sends the answer through the socket's outbox.
        const answer = (ack: SubscribeAck): void =>
          sendMessage(
            socket,
            ack.ok
              ? { type: 'subscribed', ...echo, jobId, ...withoutOk(ack) }
              : { type: 'error', ...echo, jobId, error: ack.error },
          );
        this.subscriptions
          .subscribeJob(socket, socket, this.transport, request, answer)
          .catch((error: unknown) => this.logger.error({ err: error }, 'subscribe crashed'));
      }
    }
  }
}
