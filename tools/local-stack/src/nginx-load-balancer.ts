import { ensureDebianTool } from './debian-package';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from './app-processes';
import { ManagedProcess } from './managed-process';

/** The load balancer's configuration, shared with docker-compose.yml: a template (see its header). */
export const NGINX_CONF_TEMPLATE = join(REPO_ROOT, 'deploy', 'nginx', 'jobcast.conf');

/** Where Debian installs nginx: /usr/sbin, which is not on a normal user's PATH. */
const DEBIAN_NGINX = '/usr/sbin/nginx';

/** Finds nginx, installing Debian's package when this machine lets us; otherwise says how. */
export function ensureNginx(announce: (message: string) => void): string {
  return ensureDebianTool(
    { command: 'nginx', packageName: 'nginx', installedPath: DEBIAN_NGINX, otherwise: 'or unset LB' },
    announce,
  );
}

/** The value of the template's JOBCAST_GATEWAYS: one `server` line per gateway address (`host:port`). */
export function upstreamServers(addresses: readonly string[]): string {
  return addresses.map((address) => `server ${address};`).join(' ');
}

/**
 * Fills the template's `${NAME}` placeholders, as the nginx image's envsubst does in docker compose, but
 * refuses to leave one empty: envsubst would, and nginx would then fail on a config no one wrote.
 */
export function renderNginxTemplate(template: string, values: Readonly<Record<string, string>>): string {
  return template.replace(/\$\{(\w+)\}/g, (_, name: string) => {
    const value = values[name];
    if (value === undefined) throw new Error(`no value for \${${name}} in ${NGINX_CONF_TEMPLATE}`);
    return value;
  });
}

/** Each request the load balancer passed on, and to which gateway (`upstream=host:port`). */
export function nginxAccessLog(logDir: string): string {
  return join(logDir, 'lb-access.log');
}

/** Open sockets and SSE streams one client address may hold through the load balancer, unless told. */
export const DEFAULT_LB_STREAMS_PER_ADDRESS = 200;

export interface NginxConfigOptions {
  /** Where the configuration, temp files and pid file go; nginx's prefix. */
  dir: string;
  port: number;
  gatewayPorts: readonly number[];
  /** @default DEFAULT_LB_STREAMS_PER_ADDRESS */
  streamsPerAddress?: number;
  /** Where the access log goes (see nginxAccessLog). */
  logDir: string;
}

/**
 * Writes a main nginx.conf around the rendered template, with every path that Debian's defaults put under
 * /var moved into `dir`, so nginx runs as any user. Answers the arguments that run nginx with it.
 */
export function writeNginxConfig({
  dir,
  port,
  gatewayPorts,
  streamsPerAddress = DEFAULT_LB_STREAMS_PER_ADDRESS,
  logDir,
}: NginxConfigOptions): string[] {
  mkdirSync(join(dir, 'temp'), { recursive: true });
  const site = renderNginxTemplate(readFileSync(NGINX_CONF_TEMPLATE, 'utf8'), {
    JOBCAST_LB_PORT: String(port),
    JOBCAST_GATEWAYS: upstreamServers(gatewayPorts.map((gatewayPort) => `127.0.0.1:${gatewayPort}`)),
    JOBCAST_ACCESS_LOG: nginxAccessLog(logDir),
    JOBCAST_LB_STREAMS_PER_ADDRESS: String(streamsPerAddress),
  });
  writeFileSync(join(dir, 'jobcast.conf'), site);
  const main = [
    `# Written by tools/local-stack for one run; the load balancer itself is jobcast.conf, from ${NGINX_CONF_TEMPLATE}.`,
    // As root, nginx would run its workers as `nobody`, which cannot write temp files under a private state
    // dir. This nginx is the launcher's own: its workers run as whoever started it.
    ...(process.getuid?.() === 0 ? ['user root;'] : []),
    'worker_processes 1;',
    'events { worker_connections 1024; }',
    'http {',
    // Instead of Debian's /var/log/nginx/access.log; jobcast.conf has its own.
    '    access_log off;',
    '    client_body_temp_path temp/client_body;',
    '    proxy_temp_path temp/proxy;',
    '    fastcgi_temp_path temp/fastcgi;',
    '    uwsgi_temp_path temp/uwsgi;',
    '    scgi_temp_path temp/scgi;',
    // Relative to this file's directory.
    '    include jobcast.conf;',
    '}',
    '',
  ].join('\n');
  const confFile = join(dir, 'nginx.conf');
  writeFileSync(confFile, main);
  // `-e stderr`: errors go to the process's output (so to lb.log), not to Debian's /var/log/nginx/error.log.
  return ['-p', dir, '-e', 'stderr', '-c', confFile, '-g', 'daemon off; pid nginx.pid;'];
}

export interface NginxLoadBalancerOptions extends NginxConfigOptions {
  binary: string;
  restartOnExit?: boolean;
  announce?: (message: string) => void;
  onSpawn?: (process: ManagedProcess) => void;
}

/** Resolves once nginx answers HTTP on the port, whatever the answer: it may be up before any gateway is. */
async function waitForHttp(port: number, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      await fetch(`http://127.0.0.1:${port}/healthz`);
      return;
    } catch {
      // Not listening yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`nginx on port ${port} did not answer within ${timeoutMs} ms`);
}

/** nginx in front of the gateways, as docker compose runs it, as a managed process; its errors go to `lb.log`. */
export function nginxLoadBalancerProcess(options: NginxLoadBalancerOptions): ManagedProcess {
  return new ManagedProcess({
    name: 'lb',
    command: options.binary,
    args: writeNginxConfig(options),
    logFile: join(options.logDir, 'lb.log'),
    waitReady: () => waitForHttp(options.port),
    restartOnExit: options.restartOnExit,
    announce: options.announce,
    onSpawn: options.onSpawn,
  });
}
