import { loadConfig, parseDuration, SECRET_VARIABLES } from '@jobcast/config';
import {
  DEFAULT_LB_STREAMS_PER_ADDRESS,
  NGINX_CONF_TEMPLATE,
  REPO_ROOT,
  ensureNginx,
  renderNginxTemplate,
  upstreamServers,
  writeNginxConfig,
} from '@jobcast/local-stack';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { parse } from 'yaml';
import { GatewayEnvSchema } from '../../apps/gateway/dist/config/gateway-config.js';
import { WorkerAppEnvSchema } from '../../apps/worker/dist/worker-app-env.js';
import { WorkerEnvSchema } from '../../libs/worker/dist/worker-env.js';

// docker compose cannot run here: these tests read docker-compose.yml and the Dockerfile as compose and
// docker would, and check them against the apps' real config schemas and the files the build produces.

interface ComposeService {
  image?: string;
  build?: string;
  command?: string[];
  environment?: Record<string, string | number>;
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test?: string[]; disable?: boolean };
  restart?: string;
  volumes?: string[];
  ports?: string[];
  stop_grace_period?: string;
}

/** Compose's interpolation: `${VAR}`, `${VAR:-default}`, and `${VAR:?message}`, which fails when VAR is unset. */
function interpolate(text: string, env: Readonly<Record<string, string>>): string {
  return text.replace(/\$\{(\w+)(?::([-?])([^}]*))?\}/g, (_, name: string, operator?: string, argument?: string) => {
    const value = env[name];
    if (value) return value;
    if (operator === '?') throw new Error(`${name}: ${argument}`);
    return operator === '-' ? (argument ?? '') : '';
  });
}

const composeText = readFileSync(join(REPO_ROOT, 'docker-compose.yml'), 'utf8');
/** A fresh clone: no .env, nothing set. */
const TEST_ENV = {};

interface ComposeFile {
  services: Record<string, ComposeService>;
  volumes: Record<string, unknown>;
}

function composeFile(env: Readonly<Record<string, string>>): ComposeFile {
  // `merge`: the `<<` keys that share settings between services, which compose understands.
  return parse(interpolate(composeText, env), { merge: true }) as ComposeFile;
}

function composeServices(env: Readonly<Record<string, string>>): Record<string, ComposeService> {
  return composeFile(env).services;
}

const composeVolumes = composeFile(TEST_ENV).volumes;
const packageJson = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { engines: { node: string } };

const services = composeServices(TEST_ENV);

/** The app a service runs from the image (`node apps/<app>/dist/main.js`), if any. */
function appOf({ command }: ComposeService): string | undefined {
  return /^apps\/([\w-]+)\/dist\/main\.js$/.exec(command?.[1] ?? '')?.[1];
}

const servicesRunning = (app: string): string[] =>
  Object.entries(services)
    .filter(([, found]) => appOf(found) === app)
    .map(([name]) => name);
const gateways = servicesRunning('gateway');
const workers = servicesRunning('worker');
/** The image every app runs from: the one the one-shot builds. */
const appImage = services['jwt-secret']?.image;
/** Redis's own default port, which the redis service keeps. */
const REDIS_DEFAULT_PORT = 6379;

function service(name: string): ComposeService {
  const found = services[name];
  if (!found) throw new Error(`docker-compose.yml has no service ${name}`);
  return found;
}

/** An environment as the process sees it: every value a string. */
function environmentOf(name: string): Record<string, string> {
  return environmentOfService(service(name));
}

function environmentOfService({ environment }: ComposeService): Record<string, string> {
  return Object.fromEntries(Object.entries(environment ?? {}).map(([key, value]) => [key, String(value)]));
}

/** The Dockerfile's last stage (the image), with ARGs declared before the first FROM substituted. */
function runtimeStage(): { from: string; instructions: Array<[keyword: string, args: string]> } {
  const lines = readFileSync(join(REPO_ROOT, 'Dockerfile'), 'utf8')
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#'))
    .map((line): [string, string] => {
      const [keyword = '', ...args] = line.split(/\s+/);
      return [keyword.toUpperCase(), args.join(' ')];
    });
  const args = Object.fromEntries(
    lines
      .slice(
        0,
        lines.findIndex(([keyword]) => keyword === 'FROM'),
      )
      .filter(([keyword]) => keyword === 'ARG')
      .map(([, arg]) => arg.split('=') as [string, string]),
  );
  const lastFrom = lines.findLastIndex(([keyword]) => keyword === 'FROM');
  const [image = ''] = (lines[lastFrom]?.[1] ?? '').split(' ');
  return { from: interpolate(image, args), instructions: lines.slice(lastFrom + 1) };
}

describe('docker-compose.yml and the Dockerfile', () => {
  it('runs redis, two gateways, two workers, the load balancer, and a one-shot that makes the token secret', () => {
    expect({ gateways: gateways.length, workers: workers.length }).toEqual({ gateways: 2, workers: 2 });
    const others = Object.keys(services).filter((name) => ![...gateways, ...workers].includes(name));
    expect(others.sort()).toEqual(['jwt-secret', 'lb', 'redis']);
  });

  it('starts on a fresh clone: the one-shot writes a random secret into a volume the gateways read, or JWT_SECRET when set', () => {
    const oneShot = service('jwt-secret');
    const secretFile = environmentOf('gateway-1').JWT_SECRET_FILE ?? '';
    expect(oneShot.environment?.JWT_SECRET_FILE).toBe(secretFile);
    const volume = `jwt-secret:${dirname(secretFile)}`;
    expect(oneShot.volumes).toEqual([volume]);
    expect(oneShot.healthcheck).toEqual({ disable: true });
    for (const name of gateways) {
      expect(service(name).volumes).toEqual([`${volume}:ro`]);
      expect(service(name).depends_on?.['jwt-secret']).toEqual({ condition: 'service_completed_successfully' });
      expect(environmentOf(name).JWT_SECRET).toBeUndefined();
    }
    // The image makes that directory its user's, so that a new volume mounted there is theirs.
    expect(
      runtimeStage().instructions.some(
        ([keyword, args]) => keyword === 'RUN' && args.includes(`chown node:node ${dirname(secretFile)}`),
      ),
    ).toBe(true);

    // Run the one-shot's command as its container would, with the volume in a temp dir.
    const dir = mkdtempSync(join(tmpdir(), 'jobcast-secret-'));
    try {
      const [command, ...args] = oneShot.command ?? [];
      expect(command).toBe('node');
      const file = join(dir, 'jwt-secret');
      const runOneShot = (env: Record<string, string>): void => {
        const run = spawnSync(process.execPath, args, {
          env: { PATH: process.env.PATH, ...environmentOfService(oneShot), ...env, JWT_SECRET_FILE: file },
          encoding: 'utf8',
        });
        expect({ status: run.status, stderr: run.stderr }).toEqual({ status: 0, stderr: '' });
      };
      runOneShot({});
      const generated = readFileSync(file, 'utf8');
      expect(generated).toMatch(/^[0-9a-f]{64}$/);
      expect(statSync(file).mode & 0o777).toBe(0o600);
      // The gateways accept it.
      expect(loadConfig(GatewayEnvSchema, { ...environmentOf('gateway-1'), JWT_SECRET_FILE: file }).JWT_SECRET).toBe(
        generated,
      );
      runOneShot({});
      expect(readFileSync(file, 'utf8')).toBe(generated);
      // JWT_SECRET (from .env or the shell) goes through compose into the one-shot, and from there to the file.
      const given = 'given-secret-0123456789abcdef0123456789abcdef';
      runOneShot(environmentOfService(composeServices({ JWT_SECRET: given })['jwt-secret'] ?? {}));
      expect(readFileSync(file, 'utf8')).toBe(given);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('runs every app from the one image, with a command whose file the build produces', () => {
    expect(service('jwt-secret').build).toBe('.');
    for (const [names, app] of [
      [gateways, 'gateway'],
      [workers, 'worker'],
    ] as const) {
      for (const name of names) {
        const { build, image, command } = service(name);
        expect({ name, build, image, command }).toEqual({
          name,
          build: '.',
          image: appImage,
          command: ['node', `apps/${app}/dist/main.js`],
        });
        expect(existsSync(join(REPO_ROOT, `apps/${app}/dist/main.js`))).toBe(true);
      }
    }
  });

  it('gives each app only variables its config schema knows, with values it accepts', () => {
    // The gateway's schema is refined and transformed; `.in` is the object schema inside. The worker app reads
    // the worker library's settings and two of its own. A secret may come from a file instead, as `<NAME>_FILE`.
    const workerSchema = WorkerEnvSchema.extend(WorkerAppEnvSchema.shape);
    const secretFiles = SECRET_VARIABLES.map((name) => `${name}_FILE`);
    const known = {
      gateway: [...Object.keys(GatewayEnvSchema.in.shape), ...secretFiles],
      worker: [...Object.keys(workerSchema.shape), ...secretFiles],
    };
    // Every app talks to the compose service named redis, on the port it listens on.
    const REDIS_URL = `redis://redis:${REDIS_DEFAULT_PORT}`;
    const dir = mkdtempSync(join(tmpdir(), 'jobcast-secret-'));
    // What the jwt-secret service leaves in the volume.
    const secretFile = join(dir, 'jwt-secret');
    writeFileSync(secretFile, 'a'.repeat(64));
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    for (const name of gateways) {
      const env = environmentOf(name);
      expect(Object.keys(env).filter((key) => !known.gateway.includes(key))).toEqual([]);
      // Read as given (a renamed variable would fall back to its default), each gateway named after its service.
      expect(loadConfig(GatewayEnvSchema, { ...env, JWT_SECRET_FILE: secretFile })).toMatchObject({
        GATEWAY_ID: name,
        PORT: Number(env.PORT),
        REDIS_URL: REDIS_URL,
        DEV_TOKENS: false,
      });
    }
    for (const name of workers) {
      const env = environmentOf(name);
      expect(Object.keys(env).filter((key) => !known.worker.includes(key))).toEqual([]);
      expect(loadConfig(workerSchema, env)).toMatchObject({ REDIS_URL: REDIS_URL });
    }
  });

  it('keeps Redis data in a volume with AOF on, and checks it with redis-cli ping', () => {
    const redis = service('redis');
    // Sharded Pub/Sub, which the gateways use on a cluster, came with Redis 7.
    expect(Number(/^redis:(\d+)/.exec(redis.image ?? '')?.[1])).toBeGreaterThanOrEqual(7);
    expect(redis.command?.join(' ')).toContain('--appendonly yes');
    // A named volume of this file, on the image's data directory, where AOF writes.
    const [volume, mountedAt] = redis.volumes?.[0]?.split(':') ?? [];
    expect(redis.volumes).toHaveLength(1);
    expect(Object.keys(composeVolumes)).toContain(volume);
    expect(mountedAt).toBe('/data');
    expect(redis.healthcheck?.test).toEqual(['CMD', 'redis-cli', 'ping']);
  });

  it('restarts every service but the one-shot, and starts each one once what it needs is healthy', () => {
    for (const [name, { restart }] of Object.entries(services))
      expect({ name, restart }).toEqual({ name, restart: name === 'jwt-secret' ? 'no' : 'unless-stopped' });
    for (const name of workers) expect(service(name).depends_on).toEqual({ redis: { condition: 'service_healthy' } });
    for (const name of gateways) {
      expect(service(name).depends_on).toEqual({
        redis: { condition: 'service_healthy' },
        'jwt-secret': { condition: 'service_completed_successfully' },
      });
    }
    expect(service('lb').depends_on).toEqual(
      Object.fromEntries(gateways.map((name) => [name, { condition: 'service_healthy' }])),
    );
  });

  it("checks a gateway's health with the image's GET /healthz, and a worker's readiness on its metrics port", () => {
    const { instructions } = runtimeStage();
    expect(instructions.find(([keyword]) => keyword === 'HEALTHCHECK')?.[1]).toMatch(/\/healthz/);
    for (const name of gateways) expect(service(name).healthcheck).toBeUndefined();
    const metricsPort = WorkerAppEnvSchema.parse({}).WORKER_METRICS_PORT;
    for (const name of workers) {
      expect(service(name).healthcheck?.test?.join(' ')).toContain(`http://127.0.0.1:${metricsPort}/readyz`);
    }
  });

  it("gives the apps longer than their SHUTDOWN_GRACE to stop, and the load balancer the launcher's default limit", () => {
    const graceMs = loadConfig(WorkerEnvSchema, {}).SHUTDOWN_GRACE;
    expect(loadConfig(GatewayEnvSchema, { JWT_SECRET: 'a'.repeat(32) }).SHUTDOWN_GRACE).toBe(graceMs);
    for (const name of [...gateways, ...workers]) {
      const stopGrace = parseDuration(service(name).stop_grace_period ?? '');
      expect({ name, longer: (stopGrace ?? 0) > graceMs }).toEqual({ name, longer: true });
    }
    expect(environmentOf('lb').JOBCAST_LB_STREAMS_PER_ADDRESS).toBe(String(DEFAULT_LB_STREAMS_PER_ADDRESS));
  });

  it("builds an image on a slim Debian Node of package.json's major, with production dependencies only, run by a user other than root", () => {
    const { from, instructions } = runtimeStage();
    const engineMajor = /^>=(\d+)\./.exec(packageJson.engines.node)?.[1];
    expect(from).toBe(`node:${engineMajor}-bookworm-slim`);
    expect(instructions.some(([keyword, args]) => keyword === 'RUN' && args.includes('npm ci --omit=dev'))).toBe(true);
    // The user that owns the secrets directory runs the apps, and it is not root.
    const user = instructions.findLast(([keyword]) => keyword === 'USER')?.[1];
    const owner = instructions
      .map(([keyword, args]) => (keyword === 'RUN' ? /\bchown (\w+):/.exec(args)?.[1] : undefined))
      .find((name) => name !== undefined);
    expect(user).toBe(owner);
    expect(['root', '0']).not.toContain(user);
    // With no command given, the image runs a gateway, as the gateway services do.
    const cmd = JSON.parse(instructions.findLast(([keyword]) => keyword === 'CMD')?.[1] ?? '[]') as string[];
    expect(cmd).toEqual(service(gateways[0] ?? '').command);
  });

  it('puts nginx in front of every gateway, configured by the same template as the local launcher', () => {
    const lb = service('lb');
    // A pinned nginx, whose image fills templates/*.template from the environment into conf.d at start.
    expect(lb.image).toMatch(/^nginx:\d+\.\d+$/);
    expect(lb.volumes).toEqual([
      `./${relative(REPO_ROOT, NGINX_CONF_TEMPLATE)}:/etc/nginx/templates/default.conf.template:ro`,
    ]);
    const env = environmentOf('lb');
    const template = readFileSync(NGINX_CONF_TEMPLATE, 'utf8');
    const placeholders = [...new Set([...template.matchAll(/\$\{(\w+)\}/g)].map(([, name]) => name))];
    expect(Object.keys(env).sort()).toEqual(placeholders.sort());
    expect(env.JOBCAST_GATEWAYS).toBe(upstreamServers(gateways.map((name) => `${name}:${environmentOf(name).PORT}`)));
    expect(lb.ports).toEqual([expect.stringMatching(new RegExp(`^\\d+:${env.JOBCAST_LB_PORT}$`))]);
    expect(renderNginxTemplate(template, env)).toContain(`listen ${env.JOBCAST_LB_PORT};`);
  });

  it('has a load balancer configuration that nginx accepts, as the launcher writes it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'jobcast-nginx-'));
    try {
      const args = writeNginxConfig({ dir, port: 8080, gatewayPorts: [3000, 3001], logDir: dir });
      const check = spawnSync(
        ensureNginx(() => undefined),
        [...args, '-t'],
        { encoding: 'utf8' },
      );
      expect({ status: check.status, output: check.stderr }).toMatchObject({ status: 0 });
      expect(check.stderr).toContain('test is successful');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
