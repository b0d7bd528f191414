import type { LoggerService } from '@nestjs/common';
import { pino, type Logger, type LevelWithSilent } from 'pino';

/** One JSON logger per process; `service` tells the gateway's lines from the worker's. */
export function createLogger(service: string, level: LevelWithSilent): Logger {
  return pino({ level, base: { service, pid: process.pid } });
}

/** Routes Nest's own log lines through pino, so every line a process writes is JSON. */
export class PinoNestLogger implements LoggerService {
  constructor(private readonly logger: Logger) {}

  log(message: unknown, context?: string): void {
    this.logger.info({ context }, String(message));
  }
  error(message: unknown, trace?: string, context?: string): void {
    this.logger.error({ context, trace }, String(message));
  }
  warn(message: unknown, context?: string): void {
    this.logger.warn({ context }, String(message));
  }
  debug(message: unknown, context?: string): void {
    this.logger.debug({ context }, String(message));
  }
  verbose(message: unknown, context?: string): void {
    this.logger.trace({ context }, String(message));
  }
}

/** Nest injection token of the process's pino logger. */
export const LOGGER = Symbol('LOGGER');
