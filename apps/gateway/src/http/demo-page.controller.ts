import { Controller, Get, HttpStatus, Req, Res } from '@nestjs/common';
import { ErrorCode, type ApiErrorBody } from '@jobcast/contracts';
import type { Request, Response } from 'express';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** Where `npm run build:demo` bundles the demo page (apps/demo): apps/gateway/public, beside dist. */
export const DEMO_PAGE_DIR = join(__dirname, '..', '..', 'public');

/** The page's files by URL path: a fixed list, so no request path ever reaches the file system. */
const DEMO_FILES: Readonly<Record<string, string>> = {
  '/': 'index.html',
  '/styles.css': 'styles.css',
  '/demo-page.js': 'demo-page.js',
  '/demo-page.js.map': 'demo-page.js.map',
  // examples/plain-websocket.html: a job watched with the browser's own WebSocket, no library.
  '/plain-websocket.html': 'plain-websocket.html',
};

/**
 * The page only loads its own script and styles; it talks to this gateway and to the others it is told
 * about (`?gateways=`), over HTTP and WebSocket.
 */
const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self' http: https: ws: wss:",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/**
 * The example is one file with its script and styles inline (no build step is its point): its policy allows
 * that one script, by its hash, and inline styles.
 */
function examplePolicy(): string | undefined {
  let html: string;
  try {
    html = readFileSync(join(DEMO_PAGE_DIR, 'plain-websocket.html'), 'utf8');
  } catch {
    return undefined;
  }
  const script = /<script>([\s\S]*?)<\/script>/.exec(html)?.[1] ?? '';
  const hash = createHash('sha256').update(script).digest('base64');
  return CONTENT_SECURITY_POLICY.replace("script-src 'self'", `script-src 'sha256-${hash}'`).replace(
    "style-src 'self'",
    "style-src 'unsafe-inline'",
  );
}
const POLICIES: Readonly<Record<string, string | undefined>> = {
  'index.html': CONTENT_SECURITY_POLICY,
  'plain-websocket.html': examplePolicy(),
};

/** `GET /`: the demo page — submit jobs and watch them live with the typed client — and the plain WebSocket example. */
@Controller()
export class DemoPageController {
  @Get(Object.keys(DEMO_FILES).map((path) => path.slice(1)))
  serve(@Req() request: Request, @Res() response: Response): void {
    const file = DEMO_FILES[request.path] ?? 'index.html';
    const policy = POLICIES[file];
    const headers: Record<string, string> = {
      // Revalidated on every load (ETag), so a rebuilt page shows at once.
      'Cache-Control': 'no-cache',
      'X-Content-Type-Options': 'nosniff',
      'Referrer-Policy': 'no-referrer',
      ...(policy !== undefined && { 'Content-Security-Policy': policy }),
    };
    // Ranges make no sense for a page this small, and an unsatisfiable one would land in the error path.
    response.sendFile(file, { root: DEMO_PAGE_DIR, headers, acceptRanges: false }, (error?: Error) => {
      if (!error || response.headersSent) return;
      const body: ApiErrorBody = {
        error: { code: ErrorCode.NOT_FOUND, message: 'The demo page is not built: run `npm run build:demo`' },
      };
      response.removeHeader('Content-Type');
      response.status(HttpStatus.NOT_FOUND).json(body);
    });
  }
}
