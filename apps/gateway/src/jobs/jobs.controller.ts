import {
  Body,
  Controller,
  Get,
  Headers,
  HttpCode,
  HttpStatus,
  Param,
  Post,
  Query,
  Req,
  Res,
  UseGuards,
} from '@nestjs/common';
import {
  AppendEventsRequestSchema,
  ListJobsQuerySchema,
  SubmitJobRequestSchema,
  type AppendEventsResponse,
  type JobSnapshot,
  type ListJobsResponse,
  type SubmitJobResponse,
  type WatchToken,
} from '@jobcast/contracts';
import type { Response } from 'express';
import { HttpAuthGuard, type AuthenticatedRequest } from '../auth/http-auth.guard';
import { checkIdempotencyKey } from '../http/idempotency-key';
import { parseOrThrow } from '../http/parse-or-throw';
import { ExternalJobReports } from './external-job-reports';
import { JobService } from './job.service';
import { JobListing } from './job-listing';
import { JobSubmissions } from './job-submissions';
import { validJobId } from './valid-job-id';

@Controller('jobs')
@UseGuards(HttpAuthGuard)
export class JobsController {
  constructor(
    private readonly jobs: JobService,
    private readonly submissions: JobSubmissions,
    private readonly externalJobs: ExternalJobReports,
    private readonly listing: JobListing,
  ) {}

  /** 202 with the new job; 200 with the existing one when the idempotency key was used before. */
  @Post()
  async submit(
    @Req() request: AuthenticatedRequest,
    @Body() body: unknown,
    @Res({ passthrough: true }) response: Response,
  ): Promise<SubmitJobResponse> {
    const outcome = await this.submissions.submit(request.principal, parseOrThrow(SubmitJobRequestSchema, body));
    response.status(outcome.created ? HttpStatus.ACCEPTED : HttpStatus.OK);
    return { job: outcome.job, ...(outcome.watchToken && { watchToken: outcome.watchToken }) };
  }

  @Get()
  list(@Req() request: AuthenticatedRequest, @Query() query: unknown): Promise<ListJobsResponse> {
    return this.listing.list(request.principal, parseOrThrow(ListJobsQuerySchema, query));
  }

  @Get(':id')
  async get(@Req() request: AuthenticatedRequest, @Param('id') id: string): Promise<JobSnapshot> {
    return (await this.jobs.getReadable(request.principal, validJobId(id))).snapshot;
  }

  @Post(':id/cancel')
  @HttpCode(HttpStatus.ACCEPTED)
  cancel(@Req() request: AuthenticatedRequest, @Param('id') id: string): Promise<JobSnapshot> {
    return this.jobs.cancel(request.principal, validJobId(id));
  }

  /** A token that reads and watches this one job, for a backend to hand to a browser. */
  @Post(':id/watch-token')
  @HttpCode(HttpStatus.CREATED)
  watchToken(@Req() request: AuthenticatedRequest, @Param('id') id: string): Promise<WatchToken> {
    return this.jobs.watchToken(request.principal, validJobId(id));
  }

  /** An external job's events, from the service that runs it. */
  @Post(':id/events')
  @HttpCode(HttpStatus.OK)
  async appendEvents(
    @Req() request: AuthenticatedRequest,
    @Param('id') id: string,
    @Body() body: unknown,
    @Headers('idempotency-key') idempotencyKey: string | undefined,
  ): Promise<AppendEventsResponse> {
    const jobId = validJobId(id);
    checkIdempotencyKey(idempotencyKey);
    const events = parseOrThrow(AppendEventsRequestSchema, body);
    return { lastSeq: await this.externalJobs.append(request.principal, jobId, events, idempotencyKey) };
  }
}
