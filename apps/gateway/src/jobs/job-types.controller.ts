import { Controller, Get, UseGuards } from '@nestjs/common';
import type { ListJobTypesResponse } from '@jobcast/contracts';
import { HttpAuthGuard } from '../auth/http-auth.guard';
import { JobTypeCatalog } from './job-type-catalog';

/** `GET /job-types`: what can be submitted, with payload schemas for building forms. Registration is not here. */
@Controller('job-types')
@UseGuards(HttpAuthGuard)
export class JobTypesController {
  constructor(private readonly catalog: JobTypeCatalog) {}

  @Get()
  list(): ListJobTypesResponse {
    return { jobTypes: this.catalog.list() };
  }
}
