// `npm test`: install and build if needed, make sure the system tools the tests drive exist (Redis, nginx,
// Chromium, Python's Socket.IO client and websockets, from Debian's packages), then run every test once.
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { prepareWorkspace, root } from './workspace.mjs';

prepareWorkspace();
const { ensureDebianPythonModules, ensureDebianTool, ensureNginx, ensureRedisServer } = createRequire(import.meta.url)(
  join(root, 'tools/local-stack/dist/index.js'),
);
const announce = (message) => console.log(`[jobcast] ${message}`);
ensureRedisServer(announce);
ensureNginx(announce);
ensureDebianTool(
  {
    command: 'chromium',
    packageName: 'chromium',
    installedPath: '/usr/bin/chromium',
    otherwise: 'for the demo-page test',
  },
  announce,
);
ensureDebianPythonModules(
  [
    { module: 'socketio', packageName: 'python3-socketio' },
    // python3-socketio's WebSocket transport.
    { module: 'websocket', packageName: 'python3-websocket' },
    // The Python plain WebSocket example's client.
    { module: 'websockets', packageName: 'python3-websockets' },
    // The Python service example's HTTP client.
    { module: 'requests', packageName: 'python3-requests' },
  ],
  'for the load-balancer test and the Python examples',
  announce,
);
try {
  execFileSync(process.execPath, [join(root, 'node_modules/vitest/vitest.mjs'), 'run', ...process.argv.slice(2)], {
    cwd: root,
    stdio: 'inherit',
  });
} catch {
  process.exit(1);
}
