// Shared by `npm start` and `npm test`: both must work on a fresh clone, so both install and build first.
import { execSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = join(dirname(fileURLToPath(import.meta.url)), '..');

function run(command) {
  execSync(command, { cwd: root, stdio: 'inherit' });
}

/** Installs the locked dependencies when they are missing, then builds every package. */
export function prepareWorkspace() {
  if (!existsSync(join(root, 'node_modules', '.package-lock.json'))) {
    console.log('[jobcast] installing dependencies (npm ci)');
    run('npm ci --no-audit --no-fund');
  }
  run('npm run --silent build');
}
