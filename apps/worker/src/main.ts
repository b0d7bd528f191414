import { ConfigError, loadConfig } from '@jobcast/config';
import { createLogger } from '@jobcast/observability';
import { createWorker, workerOptionsFromEnv } from '@jobcast/worker';
import { SHIPPED_JOB_TYPES } from './job-types';
import { WorkerHttpServer } from './worker-http-server';
import { WorkerAppEnvSchema } from './worker-app-env';

/** The worker app: `@jobcast/worker` running the shipped job types, configured from the environment. */
async function main(): Promise<void> {
  const options = workerOptionsFromEnv();
  const env = loadConfig(WorkerAppEnvSchema);
  const logger = createLogger('worker', env.LOG_LEVEL);
  // Listening first: /readyz answers 503 until the worker below is registered and taking jobs.
  const server = new WorkerHttpServer();
  await server.listen(env.WORKER_METRICS_PORT, logger);
  const worker = await createWorker({ ...options, jobTypes: SHIPPED_JOB_TYPES, logger, handleSignals: false });
  server.worker = worker;
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      // Exit even if a handler ignored its abort signal and still holds a timer or a socket.
      void worker.close().finally(() => {
        server.close();
        process.exit(0);
      });
    });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(
    `jobcast worker failed to start: ${error instanceof ConfigError ? error.message : String(error)}\n`,
  );
  process.exit(1);
});
