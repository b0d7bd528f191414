import { LOGGER } from '@jobcast/observability';
import { Module, type DynamicModule, type Provider } from '@nestjs/common';
import { JobCancellation, JobEventLog, createJobLog, type JobLog } from '@jobcast/job-log';
import { JobFeeds, JobFeedTouches, JobTagIndex } from '@jobcast/job-feeds';
import { JobTypeDirectory } from '@jobcast/job-types';
import { RedisKeys, REDIS } from '@jobcast/redis';
import type { Logger } from 'pino';
import { BatchJobs } from './batches/batch-jobs';
import { BatchService } from './batches/batch.service';
import { BatchesController } from './batches/batches.controller';
import { BatchSubmissions } from './batches/batch-submissions';
import { DevTokenController } from './auth/dev-token.controller';
import { HttpAuthGuard } from './auth/http-auth.guard';
import { TokenVerifier } from './auth/token-verifier';
import { GATEWAY_CONFIG, type GatewayConfig } from './config/gateway-config';
import { HealthController } from './health/health.controller';
import { DemoPageController } from './http/demo-page.controller';
import { JobQueue } from './jobs/job-queue';
import { JobTypeCatalog } from './jobs/job-type-catalog';
import { JobTypesController } from './jobs/job-types.controller';
import { ExternalJobReports } from './jobs/external-job-reports';
import { JobService } from './jobs/job.service';
import { JobListing } from './jobs/job-listing';
import { JobSubmissions } from './jobs/job-submissions';
import { NewJobChecks } from './jobs/new-job-checks';
import { JobsController } from './jobs/jobs.controller';
import { OwnerJobIndex } from './jobs/owner-job-index';
import { ActiveJobQuota } from './jobs/active-job-quota';
import { LeaseReaper } from './jobs/lease-reaper';
import { RateLimits } from './jobs/rate-limits';
import { WatchTokens } from './auth/watch-tokens';
import { GatewayLifecycle } from './lifecycle/gateway-lifecycle';
import { GatewayMetrics } from './metrics/gateway-metrics';
import { MetricsController } from './metrics/metrics.controller';
import { ConnectionGate } from './realtime/connection-gate';
import { Subscriptions } from './realtime/subscriptions';
import { TokenExpiry } from './realtime/token-expiry';
import { FeedRelayFactory } from './realtime/feed-relay.factory';
import { JobRelayFactory } from './realtime/job-relay.factory';
import { LiveFeedUpdates } from './realtime/live-feed-updates';
import { LiveJobEvents } from './realtime/live-job-events';
import { PlainWebSocketServer } from './realtime/plain-websocket/plain-websocket.server';
import { JobsGateway } from './realtime/socket-io/jobs.gateway';
import { SseStreamsController } from './realtime/sse/sse-streams.controller';

/** The gateway's connection to the job log (createJobLog), from which its parts below are provided. */
const JOB_LOG = Symbol('JOB_LOG');

@Module({})
export class GatewayModule {
  static forRoot(config: GatewayConfig, logger: Logger): DynamicModule {
    const infrastructure: Provider[] = [
      { provide: GATEWAY_CONFIG, useValue: config },
      { provide: LOGGER, useValue: logger },
      {
        provide: JOB_LOG,
        inject: [GatewayMetrics],
        useFactory: (metrics: GatewayMetrics) =>
          createJobLog(config, { connectionName: 'jobcast-gateway', reconnects: metrics.redisReconnects }),
      },
      { provide: REDIS, inject: [JOB_LOG], useFactory: (jobLog: JobLog) => jobLog.redis },
      { provide: RedisKeys, inject: [JOB_LOG], useFactory: (jobLog: JobLog) => jobLog.keys },
      { provide: JobEventLog, inject: [JOB_LOG], useFactory: (jobLog: JobLog) => jobLog.events },
      { provide: JobCancellation, inject: [JOB_LOG], useFactory: (jobLog: JobLog) => jobLog.cancellation },
      {
        provide: JobTypeDirectory,
        inject: [JOB_LOG],
        useFactory: (jobLog: JobLog) => new JobTypeDirectory(jobLog.redis, jobLog.keys),
      },
      // Feeds of many jobs: their store, the tags' listing index, and the write hook of every append here.
      {
        provide: JobFeeds,
        inject: [JOB_LOG],
        useFactory: (jobLog: JobLog) =>
          new JobFeeds(jobLog.redis, jobLog.keys, jobLog.events, {
            maxJobs: config.FEED_MAX_JOBS,
            ttlMs: config.JOB_MAX_AGE,
          }),
      },
      {
        provide: JobTagIndex,
        inject: [JOB_LOG],
        useFactory: (jobLog: JobLog) =>
          new JobTagIndex(jobLog.redis, jobLog.keys, {
            maxAgeMs: config.JOB_MAX_AGE,
            maxJobs: config.TAG_INDEX_MAX_JOBS,
          }),
      },
      {
        provide: JobFeedTouches,
        inject: [JobFeeds, JOB_LOG],
        useFactory: (feeds: JobFeeds, jobLog: JobLog) =>
          new JobFeedTouches(feeds, jobLog.events, {
            maxHz: config.FEED_MAX_HZ,
            onError: (error, jobId) => logger.warn({ jobId, err: error }, 'feed touch failed'),
          }),
      },
    ];
    return {
      module: GatewayModule,
      controllers: [
        HealthController,
        MetricsController,
        DemoPageController,
        JobsController,
        BatchesController,
        JobTypesController,
        SseStreamsController,
        ...(config.DEV_TOKENS ? [DevTokenController] : []),
      ],
      providers: [
        ...infrastructure,
        GatewayLifecycle,
        GatewayMetrics,
        TokenVerifier,
        HttpAuthGuard,
        WatchTokens,
        RateLimits,
        ActiveJobQuota,
        LeaseReaper,
        JobQueue,
        JobTypeCatalog,
        OwnerJobIndex,
        NewJobChecks,
        JobSubmissions,
        JobService,
        ExternalJobReports,
        JobListing,
        BatchJobs,
        BatchSubmissions,
        BatchService,
        // The delivery core, then its transports.
        LiveJobEvents,
        JobRelayFactory,
        LiveFeedUpdates,
        FeedRelayFactory,
        Subscriptions,
        TokenExpiry,
        ConnectionGate,
        JobsGateway,
        PlainWebSocketServer,
      ],
    };
  }
}
