// `npm run audit`: fails on any high or critical advisory in the production dependencies.
// Some registries (mirrors, proxies) do not serve npm's advisory endpoint; then there is nothing to check
// against, and this says so loudly instead of failing every build for a reason no commit can fix.
import { spawnSync } from 'node:child_process';
import { root } from './workspace.mjs';

const audit = spawnSync('npm', ['audit', '--omit=dev', '--json'], { cwd: root, encoding: 'utf8' });
let report;
try {
  report = JSON.parse(audit.stdout);
} catch {
  report = undefined;
}
const counts = report?.metadata?.vulnerabilities;
if (!counts) {
  const reason = report?.error?.summary || audit.stderr.trim().split('\n').at(-1) || 'no answer';
  console.warn(`[audit] WARNING: the registry's advisory endpoint did not answer (${reason}); nothing was checked.`);
  process.exit(0);
}
const serious = (counts.high ?? 0) + (counts.critical ?? 0);
console.log(`[audit] production dependencies: ${JSON.stringify(counts)}`);
if (serious > 0) {
  spawnSync('npm', ['audit', '--omit=dev', '--audit-level=high'], { cwd: root, stdio: 'inherit' });
  process.exit(1);
}
