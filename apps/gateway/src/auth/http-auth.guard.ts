import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import type { Request } from 'express';
import { ApiException } from '../http/api-exception';
import { bearerToken } from './bearer-token';
import type { Principal } from './principal';
import { TokenVerifier } from './token-verifier';

export type AuthenticatedRequest = Request & { principal: Principal };

/** Requires `Authorization: Bearer <token>` and puts the principal on the request. */
@Injectable()
export class HttpAuthGuard implements CanActivate {
  constructor(private readonly verifier: TokenVerifier) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const principal = await this.verifier.verify(bearerToken(request.headers.authorization));
    if (!principal) throw ApiException.unauthorized();
    request.principal = principal;
    return true;
  }
}
