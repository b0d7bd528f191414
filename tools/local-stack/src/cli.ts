import { ConfigError, loadConfig } from '@jobcast/config';
import { join } from 'node:path';
import { LauncherEnvSchema, type LauncherEnv } from './launcher-env';
import { LocalStack } from './local-stack';

/**
 * The local gateways' own origins: the demo page of one may then fail over to the others (`?gateways=`),
 * which the Origin check would otherwise refuse as cross-site.
 */
function ownOrigins(firstPort: number, gateways: number): string[] {
  return Array.from({ length: gateways }, (_, i) => firstPort + i).flatMap((port) => [
    `http://localhost:${port}`,
    `http://127.0.0.1:${port}`,
  ]);
}

function announce(message: string): void {
  process.stdout.write(`[jobcast] ${message}\n`);
}

/** The launcher's settings; a bad one stops it here, named, before anything starts. */
function launcherEnv(): LauncherEnv {
  try {
    return loadConfig(LauncherEnvSchema);
  } catch (error) {
    announce(`cannot start: ${error instanceof ConfigError ? error.message : String(error)}`);
    process.exit(1);
  }
}

/** `npm start`: brings up the local topology, restarts what dies, stops everything on Ctrl-C or SIGTERM. */
async function main(): Promise<void> {
  const env = launcherEnv();
  const stack = new LocalStack({
    port: env.PORT,
    gateways: env.GATEWAYS,
    workers: env.WORKERS,
    redisUrl: env.REDIS_URL,
    cluster: env.REDIS_CLUSTER ? { masters: 3 } : undefined,
    stateDir: env.JOBCAST_STATE_DIR,
    env: {
      DEV_TOKENS: env.DEV_TOKENS ? '1' : '0',
      CORS_ORIGINS: (env.CORS_ORIGINS ?? ownOrigins(env.PORT, env.GATEWAYS)).join(','),
    },
    restartOnExit: true,
    lb: env.LB ? { port: env.LB_PORT, streamsPerAddress: env.LB_STREAMS_PER_ADDRESS } : undefined,
    announce,
  });
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    announce(`${signal}: stopping every process`);
    stack.stop().then(
      () => {
        announce('stopped');
        process.exit(0);
      },
      (error: unknown) => {
        announce(`stop failed: ${String(error)}`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
  // npm does not always pass SIGTERM on to its script: when the parent goes away, so does the stack.
  const parent = process.ppid;
  setInterval(() => {
    if (process.ppid !== parent) stop('parent process exited');
  }, 500).unref();
  // Its pid, which the state directory's lock names: the one to stop should another launcher find it there.
  announce(`launcher   pid ${process.pid}  state in ${env.JOBCAST_STATE_DIR}`);
  announce(
    env.REDIS_URL
      ? `using Redis at ${env.REDIS_URL}`
      : env.REDIS_CLUSTER
        ? `starting a 3-master Redis Cluster (AOF on, data in ${join(env.JOBCAST_STATE_DIR, 'redis-cluster')})`
        : `starting redis-server (AOF on, data in ${join(env.JOBCAST_STATE_DIR, 'redis')})`,
  );
  try {
    await stack.start();
  } catch (error) {
    announce(`start failed: ${error instanceof Error ? error.message : String(error)}`);
    await stack.stop();
    process.exit(1);
  }
  if (stack.redis) announce(`redis      ${stack.redisUrl}  pid ${stack.redis.pid}`);
  if (stack.redisCluster) announce(`redis      cluster ${stack.redisCluster.clusterNodes}`);
  stack.gateways.forEach((gateway, i) => announce(`${gateway.name}  ${stack.gatewayUrls[i]}  pid ${gateway.pid}`));
  stack.workers.forEach((worker) => announce(`${worker.name}   pid ${worker.pid}`));
  if (stack.lb) announce(`lb         ${stack.lbUrl}  pid ${stack.lb.pid}  (nginx, in front of the gateways)`);
  if (env.DEV_TOKENS) {
    announce(
      `token      curl -s -XPOST ${stack.lbUrl ?? stack.gatewayUrls[0]}/auth/dev-token -H 'content-type: application/json' -d '{"sub":"alice"}'`,
    );
  }
  announce(`logs       ${join(env.JOBCAST_STATE_DIR, 'logs')}; Ctrl-C stops everything`);
}

void main();
