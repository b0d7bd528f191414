import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import helmet from 'helmet';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { ConfigError, loadConfig, takeDeprecationWarnings } from '@jobcast/config';
import { PinoNestLogger, createLogger } from '@jobcast/observability';
import { GatewayEnvSchema } from './config/gateway-config';
import { GatewayModule } from './gateway.module';
import { ApiExceptionFilter } from './http/api-exception.filter';
import { OriginPolicy } from './http/origin-policy';
import { requestLogger } from './http/request-logger';
import { ConnectionGate } from './realtime/connection-gate';
import { PlainWebSocketServer } from './realtime/plain-websocket/plain-websocket.server';
import { JobsIoAdapter } from './realtime/socket-io/jobs-io.adapter';

async function bootstrap(): Promise<void> {
  const config = loadConfig(GatewayEnvSchema);
  const logger = createLogger('gateway', config.LOG_LEVEL).child({ gateway: config.GATEWAY_ID });
  for (const warning of takeDeprecationWarnings()) logger.warn({ deprecated: true }, warning);
  const app = await NestFactory.create<NestExpressApplication>(GatewayModule.forRoot(config, logger), {
    logger: new PinoNestLogger(logger),
    bodyParser: false,
  });
  const origins = new OriginPolicy({ origins: config.CORS_ORIGINS, trustProxy: config.TRUST_PROXY });
  app.enableCors({ origin: (origin, callback) => callback(null, origin !== undefined && origins.isListed(origin)) });
  app.useBodyParser('json', { limit: config.HTTP_BODY_LIMIT });
  app.use(
    helmet({ contentSecurityPolicy: { directives: { 'connect-src': ["'self'", 'ws:', 'wss:', 'http:', 'https:'] } } }),
  );
  app.use(requestLogger(logger));
  app.useGlobalFilters(new ApiExceptionFilter(logger));
  app.useWebSocketAdapter(new JobsIoAdapter(app, config, app.get(ConnectionGate)));
  app.get(PlainWebSocketServer).attach(app.getHttpServer());
  app.enableShutdownHooks(['SIGTERM', 'SIGINT']);
  await app.listen(config.PORT, config.HOST);
  logger.info({ url: await app.getUrl() }, 'gateway listening');
  if (config.DEV_TOKENS)
    logger.warn({ host: config.HOST }, 'DEV_TOKENS is on: whoever reaches this gateway can act as anyone');
}

bootstrap().catch((error: unknown) => {
  process.stderr.write(
    `jobcast gateway failed to start: ${error instanceof ConfigError ? error.message : String(error)}\n`,
  );
  process.exit(1);
});
