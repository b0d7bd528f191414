import type { WebSocketClass } from './web-socket-class';

/** In a browser, the platform's own WebSocket (see web-socket-class.ts). */
export function webSocketClass(): WebSocketClass {
  return WebSocket;
}
