import { Body, Controller, Get, Headers, HttpCode, HttpStatus, Param, Post, Req, Res, UseGuards } from '@nestjs/common';
import {
  BatchIdSchema,
  ErrorCode,
  SubmitBatchRequestSchema,
  type BatchSnapshot,
  type SubmitBatchRequest,
  type SubmitBatchResponse,
  type WatchToken,
} from '@jobcast/contracts';
import type { Response } from 'express';
import { HttpAuthGuard, type AuthenticatedRequest } from '../auth/http-auth.guard';
import { ApiException } from '../http/api-exception';
import { checkIdempotencyKey } from '../http/idempotency-key';
import { batchNotFound } from '../jobs/job-listing';
import { BatchService } from './batch.service';
import { BatchSubmissions } from './batch-submissions';

@Controller('batches')
@UseGuards(HttpAuthGuard)
export class BatchesController {
  constructor(
    private readonly batches: BatchService,
    private readonly submissions: BatchSubmissions,
  ) {}

  /** 202 with the new batch and its jobs; 200 with the existing ones when the Idempotency-Key was used before. */
  @Post()
  async submit(
    @Req() request: AuthenticatedRequest,
    @Body() body: unknown,
    @Headers('idempotency-key') idempotencyKey: string | undefined,
    @Res({ passthrough: true }) response: Response,
  ): Promise<SubmitBatchResponse & { watchToken?: WatchToken }> {
    checkIdempotencyKey(idempotencyKey);
    const { created, ...outcome } = await this.submissions.submit(request.principal, parseBatch(body), idempotencyKey);
    response.status(created ? HttpStatus.ACCEPTED : HttpStatus.OK);
    return outcome;
  }

  @Get(':id')
  get(@Req() request: AuthenticatedRequest, @Param('id') id: string): Promise<BatchSnapshot> {
    return this.batches.get(request.principal, validBatchId(id));
  }

  @Post(':id/cancel')
  @HttpCode(HttpStatus.ACCEPTED)
  cancel(@Req() request: AuthenticatedRequest, @Param('id') id: string): Promise<BatchSnapshot> {
    return this.batches.cancel(request.principal, validBatchId(id));
  }

  /** A token that reads and watches this batch and its jobs, for a backend to hand to a browser. */
  @Post(':id/watch-token')
  @HttpCode(HttpStatus.CREATED)
  watchToken(@Req() request: AuthenticatedRequest, @Param('id') id: string): Promise<WatchToken> {
    return this.batches.watchToken(request.principal, validBatchId(id));
  }
}

/**
 * The request, or 400 VALIDATION_FAILED with zod's issues; when a job is at fault, `details.index` names the
 * first such job, as the checks of each job against its type do.
 */
function parseBatch(body: unknown): SubmitBatchRequest {
  const parsed = SubmitBatchRequestSchema.safeParse(body);
  if (parsed.success) return parsed.data;
  const indexes = parsed.error.issues.flatMap(({ path }) =>
    path[0] === 'jobs' && typeof path[1] === 'number' ? [path[1]] : [],
  );
  const details =
    indexes.length > 0 ? { index: Math.min(...indexes), details: parsed.error.issues } : parsed.error.issues;
  throw new ApiException(ErrorCode.VALIDATION_FAILED, HttpStatus.BAD_REQUEST, 'Request is not valid', details);
}

/** A malformed id cannot name anyone's batch, so it answers as a missing one. */
function validBatchId(id: string): string {
  if (!BatchIdSchema.safeParse(id).success) throw batchNotFound(id);
  return id;
}
