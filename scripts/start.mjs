// `npm start`: install and build if needed, then run the local topology (tools/local-stack).
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { prepareWorkspace, root } from './workspace.mjs';

prepareWorkspace();
createRequire(import.meta.url)(join(root, 'tools/local-stack/dist/cli.js'));
