/** The WebSocket class a plain WebSocket connection uses: the platform's, or `ws` in a Node without one. */
export type WebSocketClass = typeof WebSocket;

declare const require: (id: string) => unknown;

/**
 * The platform's WebSocket (browsers, Node 22+), else `ws`'s, which has the same API. Browser bundles get
 * web-socket-class.browser.ts instead (package.json `browser`), so `ws` is never bundled for a page.
 */
export function webSocketClass(): WebSocketClass {
  return (globalThis as { WebSocket?: WebSocketClass }).WebSocket ?? (require('ws') as WebSocketClass);
}
