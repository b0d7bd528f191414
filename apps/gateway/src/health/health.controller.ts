import { Controller, Get, HttpStatus, Inject, Res } from '@nestjs/common';
import type { RedisClient } from '@jobcast/redis';
import type { Response } from 'express';
import { REDIS } from '../tokens';

@Controller()
export class HealthController {
  constructor(@Inject(REDIS) private readonly redis: RedisClient) {}

  /** Alive: the process answers. */
  @Get('healthz')
  health(): { status: 'ok' } {
    return { status: 'ok' };
  }

  /** Ready: Redis answers too; a load balancer sends no new clients here while it does not. */
  @Get('readyz')
  async ready(@Res() response: Response): Promise<void> {
    const redisUp = this.redis.status === 'ready' && (await this.ping());
    response
      .status(redisUp ? HttpStatus.OK : HttpStatus.SERVICE_UNAVAILABLE)
      .json({ status: redisUp ? 'ready' : 'unavailable', redis: redisUp ? 'up' : 'down' });
  }

  private async ping(): Promise<boolean> {
    try {
      return (
        (await Promise.race([
          this.redis.ping(),
          new Promise<string>((resolve) => setTimeout(() => resolve('timeout'), 1000)),
        ])) === 'PONG'
      );
    } catch {
      return false;
    }
  }
}
