import { describe } from 'vitest';
import { useE2eStack } from '../support/e2e-stack';
import { deliverySuite } from './delivery.suite';

describe('on one redis-server', () => {
  deliverySuite(useE2eStack({ gateways: 2, workers: 1 }));
});
