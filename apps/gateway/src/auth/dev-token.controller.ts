import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { DevTokenRequestSchema } from '@jobcast/contracts';
import { parseOrThrow } from '../http/parse-or-throw';
import { TokenVerifier } from './token-verifier';

/** Hands out tokens for local use; only mounted when DEV_TOKENS=1, which production refuses. */
@Controller('auth')
export class DevTokenController {
  constructor(private readonly verifier: TokenVerifier) {}

  @Post('dev-token')
  @HttpCode(200)
  async issue(@Body() body: unknown): Promise<{ token: string }> {
    const { sub, tenant, scope } = parseOrThrow(DevTokenRequestSchema, body);
    return { token: await this.verifier.signDevToken(sub, tenant, scope) };
  }
}
