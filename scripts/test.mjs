// `npm test`: install and build if needed, make sure redis-server exists, then run every test once.
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { prepareWorkspace, root } from './workspace.mjs';

prepareWorkspace();
const { ensureRedisServer } = createRequire(import.meta.url)(join(root, 'tools/local-stack/dist/index.js'));
ensureRedisServer((message) => console.log(`[jobcast] ${message}`));
try {
  execFileSync(process.execPath, [join(root, 'node_modules/vitest/vitest.mjs'), 'run', ...process.argv.slice(2)], {
    cwd: root,
    stdio: 'inherit',
  });
} catch {
  process.exit(1);
}
