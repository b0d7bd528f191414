// `npm run lint`: ESLint runs from tools/lint, a separate npm project (see its package.json for why).
import { execFileSync, execSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { root } from './workspace.mjs';

const lintDir = join(root, 'tools/lint');
if (!existsSync(join(lintDir, 'node_modules', '.package-lock.json'))) {
  execSync('npm ci --no-audit --no-fund', { cwd: lintDir, stdio: 'inherit' });
}
try {
  execFileSync(
    join(lintDir, 'node_modules/.bin/eslint'),
    ['--config', join(lintDir, 'eslint.config.mjs'), ...process.argv.slice(2), '.'],
    {
      cwd: root,
      stdio: 'inherit',
    },
  );
} catch {
  process.exit(1);
}
