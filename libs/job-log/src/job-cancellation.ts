import type { RedisClient, RedisKeys } from '@jobcast/redis';
import { REQUEST_CANCEL_LUA } from './lua-scripts';

interface CancellationCommands {
  jobcastRequestCancel(snapshot: string): Promise<number>;
}

/**
 * Both sides of cancelling a job: a gateway requests it, a worker hears of it. A request marks the job, so
 * that a worker that picks it up later sees `cancelRequested` in its record and does not run it, and is
 * published to every worker, so that the one running it stops it.
 */
export class JobCancellation {
  private readonly redis: RedisClient & CancellationCommands;

  /** `openSubscriber` opens the connection that listens for requests (a subscribed one takes no commands). */
  constructor(
    redis: RedisClient,
    private readonly keys: RedisKeys,
    private readonly openSubscriber: () => RedisClient,
  ) {
    redis.defineCommand('jobcastRequestCancel', { numberOfKeys: 1, lua: REQUEST_CANCEL_LUA });
    this.redis = redis as RedisClient & CancellationCommands;
  }

  /** Marks the job for cancellation and tells every worker; false when the job does not exist. */
  async request(jobId: string): Promise<boolean> {
    if ((await this.redis.jobcastRequestCancel(this.keys.jobSnapshot(jobId))) === 0) return false;
    await this.redis.publish(this.keys.cancelChannel(), jobId);
    return true;
  }

  /**
   * Calls `handler` with the id of each job whose cancellation is requested from now on. Resolves once it
   * listens, with the function that stops listening.
   */
  async onRequested(handler: (jobId: string) => void): Promise<() => void> {
    const subscriber = this.openSubscriber();
    subscriber.on('message', (_channel: string, jobId: string) => handler(jobId));
    try {
      await subscriber.subscribe(this.keys.cancelChannel());
    } catch (error) {
      subscriber.disconnect();
      throw error;
    }
    return () => subscriber.disconnect();
  }
}
