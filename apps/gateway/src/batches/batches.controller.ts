import { Body, Controller, Get, Headers, HttpCode, HttpStatus, Param, Post, Req, Res, UseGuards } from '@nestjs/common';
import {
  BatchIdSchema,
  SubmitBatchRequestSchema,
  type BatchSnapshot,
  type SubmitBatchResponse,
  type WatchToken,
} from '@jobcast/contracts';
import type { Response } from 'express';
import { HttpAuthGuard, type AuthenticatedRequest } from '../auth/http-auth.guard';
import { parseOrThrow } from '../http/parse-or-throw';
import { batchNotFound } from '../jobs/job-listing';
import { checkIdempotencyKey } from '../jobs/jobs.controller';
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
    const { created, ...outcome } = await this.submissions.submit(
      request.principal,
      parseOrThrow(SubmitBatchRequestSchema, body),
      idempotencyKey,
    );
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

/** A malformed id cannot name anyone's batch, so it answers as a missing one. */
function validBatchId(id: string): string {
  if (!BatchIdSchema.safeParse(id).success) throw batchNotFound(id);
  return id;
}
