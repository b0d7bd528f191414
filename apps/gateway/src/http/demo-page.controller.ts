import { Controller, Get, HttpStatus, Req, Res } from '@nestjs/common';
import { ErrorCode, type ApiErrorBody } from '@jobcast/contracts';
import type { Request, Response } from 'express';
import { join } from 'node:path';

/** Where `npm run build:demo` bundles the demo page (apps/demo): apps/gateway/public, beside dist. */
export const DEMO_PAGE_DIR = join(__dirname, '..', '..', 'public');

/** The page's files by URL path: a fixed list, so no request path ever reaches the file system. */
const DEMO_FILES: Readonly<Record<string, string>> = {
  '/': 'index.html',
  '/styles.css': 'styles.css',
  '/demo-page.js': 'demo-page.js',
  '/demo-page.js.map': 'demo-page.js.map',
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

/** `GET /`: the demo page — submit jobs and watch them live with the typed client. */
@Controller()
export class DemoPageController {
  @Get(Object.keys(DEMO_FILES).map((path) => path.slice(1)))
  serve(@Req() request: Request, @Res() response: Response): void {
    const file = DEMO_FILES[request.path] ?? 'index.html';
    const headers: Record<string, string> = {
      // Revalidated on every load (ETag), so a rebuilt page shows at once.
      'Cache-Control': 'no-cache',
      'X-Content-Type-Options': 'nosniff',
      'Referrer-Policy': 'no-referrer',
      ...(file === 'index.html' && { 'Content-Security-Policy': CONTENT_SECURITY_POLICY }),
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
