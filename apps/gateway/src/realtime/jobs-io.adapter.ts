import type { INestApplicationContext } from '@nestjs/common';
import { IoAdapter } from '@nestjs/platform-socket.io';
import { createRedisConnection, toRedisConfig } from '@jobcast/redis';
import { createShardedAdapter } from '@socket.io/redis-adapter';
import type { Server, ServerOptions } from 'socket.io';
import type { GatewayConfig } from '../config/gateway-config';
import { OriginPolicy } from '../http/origin-policy';

/**
 * Socket.IO as Jobcast runs it: the sharded Redis adapter (Redis 7 sharded Pub/Sub, works on a Cluster)
 * so rooms and server-side emits span every gateway, an Origin check on every handshake, a cap on
 * inbound message size, and compression off, since job events are small and latency matters more.
 */
export class JobsIoAdapter extends IoAdapter {
  constructor(
    app: INestApplicationContext,
    private readonly config: GatewayConfig,
  ) {
    super(app);
  }

  override createIOServer(port: number, options?: ServerOptions): Server {
    const origins = new OriginPolicy(this.config.CORS_ORIGINS);
    const server = super.createIOServer(port, {
      ...(options as ServerOptions),
      serveClient: false,
      perMessageDeflate: false,
      httpCompression: false,
      maxHttpBufferSize: this.config.SOCKET_MAX_MESSAGE,
      cors: { origin: this.config.CORS_ORIGINS, credentials: false },
      allowRequest: (request, callback) => {
        const allowed = origins.allows(request.headers);
        callback(allowed ? null : 'FORBIDDEN_ORIGIN', allowed);
      },
    });
    const redisConfig = toRedisConfig(this.config);
    server.adapter(
      createShardedAdapter(
        createRedisConnection(redisConfig, { name: 'jobcast-gateway-io-pub' }),
        createRedisConnection(redisConfig, { name: 'jobcast-gateway-io-sub' }),
        { subscriptionMode: 'dynamic' },
      ),
    );
    return server;
  }
}
