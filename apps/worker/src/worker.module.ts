import { LOGGER } from '@jobcast/observability';
import { Module, type DynamicModule } from '@nestjs/common';
import { JobEventLog } from '@jobcast/job-log';
import { JobTypeRegistry } from '@jobcast/job-types';
import { RedisKeys, createRedisConnection, toRedisConfig, type RedisClient, REDIS } from '@jobcast/redis';
import type { Logger } from 'pino';
import { WORKER_CONFIG, type WorkerConfig } from './config/worker-config';
import { JobProcessor } from './processing/job-processor';
import { JobQueueWorker } from './processing/job-queue-worker';
import { WorkerHttpServer } from './metrics/worker-http-server';
import { WorkerMetrics } from './metrics/worker-metrics';

@Module({})
export class WorkerModule {
  static forRoot(config: WorkerConfig, logger: Logger): DynamicModule {
    return {
      module: WorkerModule,
      providers: [
        { provide: WORKER_CONFIG, useValue: config },
        { provide: LOGGER, useValue: logger },
        { provide: RedisKeys, useValue: new RedisKeys(config.REDIS_KEY_PREFIX) },
        { provide: WorkerMetrics, useValue: new WorkerMetrics() },
        {
          provide: REDIS,
          inject: [WorkerMetrics],
          useFactory: (metrics: WorkerMetrics) =>
            createRedisConnection(toRedisConfig(config), { name: 'jobcast-worker' }).on('reconnecting', () =>
              metrics.redisReconnects.inc({ connection: 'commands' }),
            ),
        },
        {
          provide: JobEventLog,
          inject: [REDIS, RedisKeys],
          useFactory: (redis: RedisClient, keys: RedisKeys) =>
            new JobEventLog(redis, keys, {
              ttlSeconds: Math.ceil(config.JOB_TTL / 1000),
              maxEvents: config.JOB_LOG_MAX_EVENTS,
            }),
        },
        { provide: JobTypeRegistry, useValue: new JobTypeRegistry() },
        {
          provide: JobProcessor,
          inject: [JobEventLog, JobTypeRegistry, WorkerMetrics],
          useFactory: (eventLog: JobEventLog, registry: JobTypeRegistry, metrics: WorkerMetrics) =>
            new JobProcessor(eventLog, registry, logger, metrics, { progressMaxHz: config.PROGRESS_MAX_HZ }),
        },
        JobQueueWorker,
        WorkerHttpServer,
      ],
    };
  }
}
