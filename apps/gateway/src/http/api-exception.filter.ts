import {
  Catch,
  HttpException,
  HttpStatus,
  NotFoundException,
  type ArgumentsHost,
  type ExceptionFilter,
} from '@nestjs/common';
import { ErrorCode } from '@jobcast/contracts';
import type { Request, Response } from 'express';
import type { Logger } from 'pino';
import { ApiException } from './api-exception';

/** body-parser's errors carry a `type`; these are the ones a client can cause. */
const BODY_PARSER_ERRORS: Record<string, ApiException> = {
  'entity.parse.failed': new ApiException(
    ErrorCode.VALIDATION_FAILED,
    HttpStatus.BAD_REQUEST,
    'Request body is not valid JSON',
  ),
  'entity.too.large': new ApiException(
    ErrorCode.PAYLOAD_TOO_LARGE,
    HttpStatus.PAYLOAD_TOO_LARGE,
    'Request body is too large',
  ),
  'encoding.unsupported': new ApiException(
    ErrorCode.VALIDATION_FAILED,
    HttpStatus.UNSUPPORTED_MEDIA_TYPE,
    'Unsupported body encoding',
  ),
  'charset.unsupported': new ApiException(
    ErrorCode.VALIDATION_FAILED,
    HttpStatus.UNSUPPORTED_MEDIA_TYPE,
    'Unsupported charset',
  ),
};

const STATUS_CODES: Partial<Record<number, ErrorCode>> = {
  [HttpStatus.NOT_FOUND]: ErrorCode.NOT_FOUND,
  [HttpStatus.UNAUTHORIZED]: ErrorCode.UNAUTHORIZED,
  [HttpStatus.PAYLOAD_TOO_LARGE]: ErrorCode.PAYLOAD_TOO_LARGE,
  [HttpStatus.TOO_MANY_REQUESTS]: ErrorCode.RATE_LIMITED,
};

/**
 * Every HTTP error leaves as `{error: {code, message, details?}}`. Anything unexpected is logged with its
 * stack and answered as INTERNAL, so no internal message ever reaches a client.
 */
@Catch()
export class ApiExceptionFilter implements ExceptionFilter {
  constructor(private readonly logger: Logger) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const response = http.getResponse<Response>();
    const request = http.getRequest<Request>();
    const error = this.toApiException(exception, request);
    if (response.headersSent) {
      response.end();
      return;
    }
    response.set(error.headers).status(error.getStatus()).json(error.toBody());
  }

  private toApiException(exception: unknown, request: Request): ApiException {
    if (exception instanceof ApiException) return exception;
    const parserType = (exception as { type?: unknown } | null)?.type;
    if (typeof parserType === 'string' && BODY_PARSER_ERRORS[parserType]) return BODY_PARSER_ERRORS[parserType];
    if (exception instanceof HttpException && exception.getStatus() < 500) {
      const status = exception.getStatus();
      const message =
        exception instanceof NotFoundException ? `No route ${request.method} ${request.path}` : exception.message;
      return new ApiException(STATUS_CODES[status] ?? ErrorCode.VALIDATION_FAILED, status, message);
    }
    this.logger.error({ err: exception, method: request.method, path: request.path }, 'unhandled error');
    return new ApiException(ErrorCode.INTERNAL, HttpStatus.INTERNAL_SERVER_ERROR, 'Internal error');
  }
}
