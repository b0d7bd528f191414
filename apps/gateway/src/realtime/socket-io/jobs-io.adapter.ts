import type { INestApplicationContext } from '@nestjs/common';
import { IoAdapter } from '@nestjs/platform-socket.io';
import { createRedisConnection, toRedisConfig } from '@jobcast/redis';
import { createShardedAdapter } from '@socket.io/redis-adapter';
import type { Server, ServerOptions } from 'socket.io';
import type { GatewayConfig } from '../../config/gateway-config';
import type { ConnectionGate } from '../connection-gate';
import { onConnectionOpened, openConnectionCount, openConnectionRequests } from '../framework-internals';

/**
 * Socket.IO as Jobcast runs it: the sharded Redis adapter (Redis 7 sharded Pub/Sub, works on a Cluster)
 * so rooms and server-side emits span every gateway, the gateway's handshake checks (ConnectionGate), a cap on
 * inbound message size, and compression off, since job events are small and latency matters more.
 */
export class JobsIoAdapter extends IoAdapter {
  constructor(
    app: INestApplicationContext,
    private readonly config: GatewayConfig,
    private readonly gate: ConnectionGate,
  ) {
    super(app);
  }

  /**
   * JobsGateway binds its socket listeners itself; Nest would otherwise build an RxJS disconnect stream
   * for every socket even when it has no message handler to stop (1.7 KiB per idle socket).
   */
  override bindMessageHandlers(...args: Parameters<IoAdapter['bindMessageHandlers']>): void {
    const [, handlers] = args;
    if (handlers.length > 0) super.bindMessageHandlers(...args);
  }

  /** JobsGateway listens for its sockets' disconnects itself, with one shared listener. */
  override bindClientDisconnect(): void {
    // Nest's hook would add a closure and a `once` wrapper to every socket.
  }

  override createIOServer(port: number, options?: ServerOptions): Server {
    const { limiter } = this.gate;
    limiter.addTransport({
      count: () => openConnectionCount(server),
      clientIps: () => openConnectionRequests(server).map((request) => limiter.clientIp(request)),
    });
    const server = super.createIOServer(port, {
      ...(options as ServerOptions),
      serveClient: false,
      perMessageDeflate: false,
      httpCompression: false,
      maxHttpBufferSize: this.config.SOCKET_MAX_MESSAGE,
      cors: { origin: this.config.CORS_ORIGINS, credentials: false },
      // Upgrades of other paths are not Engine.IO's to end: `/ws` is the plain WebSocket endpoint's.
      destroyUpgrade: false,
      // Refusals are engine-level: the handshake fails with this message and no namespace is touched.
      allowRequest: (request, callback) => {
        const refusal = this.gate.refusal(request);
        callback(refusal, refusal === null);
      },
    });
    onConnectionOpened(server, (request) => limiter.add(limiter.clientIp(request)));
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
