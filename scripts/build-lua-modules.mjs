// tsc compiles `import source from './lua/append-event.lua'` to `require('./lua/append-event.lua')`, which
// Node resolves to `append-event.lua.js` when there is no `append-event.lua` beside it. `npm run build` runs
// this after tsc: for each Lua file under a workspace's src/, it writes that module at the same place under
// the workspace's dist/, exporting the file's text. (The @jobcast/worker bundle inlines the same files with
// esbuild's text loader instead.)
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { root } from './workspace.mjs';

for (const group of ['apps', 'libs']) {
  for (const workspace of readdirSync(join(root, group))) {
    const src = join(root, group, workspace, 'src');
    if (!existsSync(src)) continue;
    for (const file of readdirSync(src, { recursive: true })) {
      if (!file.endsWith('.lua')) continue;
      const module = join(root, group, workspace, 'dist', `${file}.js`);
      mkdirSync(dirname(module), { recursive: true });
      writeFileSync(module, `module.exports = ${JSON.stringify(readFileSync(join(src, file), 'utf8'))};\n`);
    }
  }
}
