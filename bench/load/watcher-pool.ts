import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Histogram } from 'hdr-histogram-js';
import { EMPTY_INTEGRITY, addIntegrity, type MeasureWindow, type StreamIntegrity } from '../metrics/event-stream';
import { mergeHistograms } from '../metrics/latency-histogram';
import type { MeasuredProcess } from '../metrics/proc-stats';
import { RpcProcess } from '../rpc/rpc';
import type { ConnectResult, SocketWatchersApi, SubscribeResult, WatcherProtocol } from './socket-watchers-api';

const SCRIPT = join(__dirname, 'socket-watchers.js');

/** Sockets per load process: spreads client CPU over processes, and stays far below any fd limit. */
const SOCKETS_PER_PROCESS = 5000;

/** Ephemeral ports the kernel hands out per source address (and destination, when it picks the address). */
const EPHEMERAL_PORTS = (() => {
  const [low = 32768, high = 60999] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8')
    .trim()
    .split(/\s+/)
    .map(Number);
  return high - low + 1;
})();
/** Past this many connections to one server, new ones are bound to further loopback addresses. */
const SOURCE_ADDRESS_SHARE = Math.floor(EPHEMERAL_PORTS * 0.9);

export interface PoolReport {
  delivered: number;
  offered: number;
  latency: Histogram;
  integrity: StreamIntegrity;
  disconnects: Record<string, number>;
}

/**
 * The bench's watchers, spread over several load processes. Sockets have a pool-wide index, in the order
 * they were connected; socket `i` lives in process `i % size`, where it is socket `floor(i / size)`.
 */
export class WatcherPool {
  private sockets = 0;
  private readonly socketsByUrl = new Map<string, number>();

  private constructor(private readonly processes: readonly RpcProcess<SocketWatchersApi>[]) {}

  /** A pool with enough processes for `sockets` watchers, and at least two, so clients use both cores. */
  static async forSockets(sockets: number): Promise<WatcherPool> {
    const size = Math.max(2, Math.ceil(sockets / SOCKETS_PER_PROCESS));
    return new WatcherPool(
      await Promise.all(
        Array.from({ length: size }, (_, i) => RpcProcess.fork<SocketWatchersApi>(`watchers-${i + 1}`, SCRIPT)),
      ),
    );
  }

  get measured(): MeasuredProcess[] {
    return this.processes.map(({ name, pid }) => ({ name, pid, role: 'load', probed: false }));
  }

  /** Opens one socket per URL, after those already open. */
  async connect(urls: readonly string[], token?: string, protocol?: WatcherProtocol): Promise<ConnectResult> {
    const first = this.sockets;
    this.sockets += urls.length;
    const results = await Promise.all(
      this.processes.map((process, k) => {
        const mine = urls.filter((_, i) => (first + i) % this.processes.length === k);
        return process.call('connect', {
          urls: mine,
          token,
          protocol,
          localAddresses: this.sourceAddressesFor(mine),
        });
      }),
    );
    return {
      connected: results.reduce((sum, result) => sum + result.connected, 0),
      failed: results.reduce((sum, result) => sum + result.failed, 0),
      errors: results.flatMap((result) => result.errors),
    };
  }

  /** Subscribes sockets `firstSocket`, `firstSocket + 1` … to `jobIds[0]`, `jobIds[1]` … */
  async subscribe(jobIds: readonly string[], firstSocket = 0): Promise<SubscribeResult> {
    const size = this.processes.length;
    const assignments = this.processes.map((): Array<[number, string]> => []);
    jobIds.forEach((jobId, i) => {
      const socket = firstSocket + i;
      assignments[socket % size]?.push([Math.floor(socket / size), jobId]);
    });
    const results = await Promise.all(
      this.processes.map((process, k) => process.call('subscribe', { assignments: assignments[k] ?? [] })),
    );
    return {
      subscribed: results.reduce((sum, result) => sum + result.subscribed, 0),
      failed: results.reduce((sum, result) => sum + result.failed, 0),
      errors: results.flatMap((result) => result.errors),
    };
  }

  async measure(window: MeasureWindow): Promise<void> {
    await Promise.all(this.processes.map((process) => process.call('measure', window)));
  }

  async awaitTerminals(timeoutMs: number): Promise<void> {
    await Promise.all(this.processes.map((process) => process.call('awaitTerminals', { timeoutMs })));
  }

  async report(): Promise<PoolReport> {
    const reports = await Promise.all(this.processes.map((process) => process.call('report', {})));
    const disconnects: Record<string, number> = {};
    for (const report of reports) {
      for (const [reason, count] of Object.entries(report.disconnects)) {
        disconnects[reason] = (disconnects[reason] ?? 0) + count;
      }
    }
    return {
      delivered: reports.reduce((sum, report) => sum + report.delivered, 0),
      offered: reports.reduce((sum, report) => sum + report.offered, 0),
      latency: mergeHistograms(reports.map((report) => report.latency)),
      integrity: reports.reduce((sum, report) => addIntegrity(sum, report.integrity), EMPTY_INTEGRITY),
      disconnects,
    };
  }

  async stop(): Promise<void> {
    await Promise.all(this.processes.map((process) => process.call('close', {}).catch(() => undefined)));
    await Promise.all(this.processes.map((process) => process.stop()));
  }

  /**
   * Source addresses for these new sockets: none (the kernel's choice, 127.0.0.1) while every server has
   * fewer connections than one address has ports, else 127.0.0.2, 127.0.0.3 … enough for the rest.
   */
  private sourceAddressesFor(urls: readonly string[]): string[] | undefined {
    let addressesNeeded = 0;
    for (const url of urls) {
      const count = (this.socketsByUrl.get(url) ?? 0) + 1;
      this.socketsByUrl.set(url, count);
      addressesNeeded = Math.max(addressesNeeded, Math.ceil(count / SOURCE_ADDRESS_SHARE) - 1);
    }
    if (addressesNeeded === 0) return undefined;
    return Array.from({ length: addressesNeeded }, (_, i) => `127.0.0.${2 + i}`);
  }
}
