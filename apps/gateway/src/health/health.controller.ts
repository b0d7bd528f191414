import { Controller, Get, HttpStatus, Inject, Res } from '@nestjs/common';
import { type RedisClient, REDIS } from '@jobcast/redis';
import type { Response } from 'express';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config/gateway-config';
import { GatewayLifecycle } from '../lifecycle/gateway-lifecycle';

@Controller()
export class HealthController {
  constructor(
    @Inject(REDIS) private readonly redis: RedisClient,
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
    private readonly lifecycle: GatewayLifecycle,
  ) {}

  /** Alive: the process answers, with its GATEWAY_ID (the demo page shows which gateway it reached). */
  @Get('healthz')
  health(): { status: 'ok'; gateway: string } {
    return { status: 'ok', gateway: this.config.GATEWAY_ID };
  }

  /** Ready: Redis answers and the gateway is not draining; a load balancer sends no new clients otherwise. */
  @Get('readyz')
  async ready(@Res() response: Response): Promise<void> {
    if (this.lifecycle.draining) {
      response.status(HttpStatus.SERVICE_UNAVAILABLE).json({ status: 'draining' });
      return;
    }
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
