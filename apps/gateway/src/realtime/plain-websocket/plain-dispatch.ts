import type { Feed, FeedSubscribeAck, SubscribeAck } from '@jobcast/contracts';
import type { Logger } from 'pino';
import type { FeedDelivery } from '../feed-relay';
import { feedKey, type Subscriptions, type SubscriberTransport } from '../subscriptions';
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
        if ('feed' in request) {
          this.subscriptions.unsubscribe(socket, feedKey(request.feed));
          return this.reply(socket, { type: 'unsubscribed', ...echo, feed: request.feed });
        }
        this.subscriptions.unsubscribe(socket, request.jobId);
        return this.reply(socket, { type: 'unsubscribed', ...echo, jobId: request.jobId });
      case 'subscribe': {
        if ('feed' in request) return this.subscribeFeed(socket, request.feed, request.since, echo);
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

  /** `subscribe` with `feed`: `subscribed` with the page, or `error`; then a `jobs` message per update. */
  private subscribeFeed(socket: PlainSocket, feed: Feed, since: string | undefined, echo: { id?: string }): void {
    const answer = (ack: FeedSubscribeAck): void =>
      sendMessage(
        socket,
        ack.ok
          ? { type: 'subscribed', ...echo, feed, ...withoutOk(ack) }
          : { type: 'error', ...echo, feed, error: ack.error },
      );
    const update = (delivery: FeedDelivery): void => sendMessage(socket, { type: 'jobs', feed, ...delivery });
    this.subscriptions
      .subscribeFeed(socket, socket, this.transport, { feed, ...(since !== undefined && { since }) }, answer, update)
      .catch((error: unknown) => this.logger.error({ err: error }, 'feed subscribe crashed'));
  }
}
