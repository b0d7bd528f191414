import { Body, Controller, Get, HttpCode, HttpStatus, Param, Post, Query, Req, Res, UseGuards } from '@nestjs/common';
import {
  JobIdSchema,
  ListJobsQuerySchema,
  SubmitJobRequestSchema,
  type JobSnapshot,
  type ListJobsResponse,
  type SubmitJobResponse,
} from '@jobcast/contracts';
import type { Response } from 'express';
import { HttpAuthGuard, type AuthenticatedRequest } from '../auth/http-auth.guard';
import { ApiException } from '../http/api-exception';
import { parseOrThrow } from '../http/parse-or-throw';
import { JobService } from './job.service';

@Controller('jobs')
@UseGuards(HttpAuthGuard)
export class JobsController {
  constructor(private readonly jobs: JobService) {}

  /** 202 with the new job; 200 with the existing one when the idempotency key was used before. */
  @Post()
  async submit(
    @Req() request: AuthenticatedRequest,
    @Body() body: unknown,
    @Res({ passthrough: true }) response: Response,
  ): Promise<SubmitJobResponse> {
    const outcome = await this.jobs.submit(request.principal, parseOrThrow(SubmitJobRequestSchema, body));
    response.status(outcome.created ? HttpStatus.ACCEPTED : HttpStatus.OK);
    return { job: outcome.job };
  }

  @Get()
  list(@Req() request: AuthenticatedRequest, @Query() query: unknown): Promise<ListJobsResponse> {
    return this.jobs.list(request.principal, parseOrThrow(ListJobsQuerySchema, query));
  }

  @Get(':id')
  async get(@Req() request: AuthenticatedRequest, @Param('id') id: string): Promise<JobSnapshot> {
    return (await this.jobs.getOwned(request.principal, validJobId(id))).snapshot;
  }

  @Post(':id/cancel')
  @HttpCode(HttpStatus.ACCEPTED)
  cancel(@Req() request: AuthenticatedRequest, @Param('id') id: string): Promise<JobSnapshot> {
    return this.jobs.cancel(request.principal, validJobId(id));
  }
}

/** A malformed id cannot name anyone's job, so it answers as a missing one. */
export function validJobId(id: string): string {
  if (!JobIdSchema.safeParse(id).success) throw ApiException.jobNotFound(id.slice(0, 64));
  return id;
}
