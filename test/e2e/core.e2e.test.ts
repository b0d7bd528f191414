import { describe } from 'vitest';
import { useE2eStack } from '../support/e2e-stack';
import { deliverySuite } from './delivery.suite';
import { TRANSPORT_SUITE_ENV, transportSuite } from './transports.suite';

describe('on one redis-server', () => {
  const stack = useE2eStack({ gateways: 2, workers: 1, env: TRANSPORT_SUITE_ENV });
  deliverySuite(stack);
  transportSuite(stack, {
    slowReaders: true,
    servers: () => [stack.stack.redisUrl],
    restart: async (whileDown) => {
      await stack.stack.redis?.stop();
      await whileDown();
      await stack.stack.redis?.start();
    },
  });
});
