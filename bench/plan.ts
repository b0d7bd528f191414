import type { IdleWatchersPlan } from './scenarios/s1-idle-watchers';
import type { RealisticTrafficPlan } from './scenarios/s2-realistic-traffic';
import type { FanOutRampPlan } from './scenarios/s3-fan-out-ramp';
import type { PushVsPollingPlan } from './scenarios/s4-push-vs-polling';

export type BenchMode = 'quick' | 'full';

/**
 * Every scenario's parameters for one mode. Rates divide 1000, since demo.steps paces in whole ms, and a step's
 * job stays within demo.steps' 10,000 steps.
 */
export interface BenchPlan {
  s1: IdleWatchersPlan;
  s2: RealisticTrafficPlan;
  s3: FanOutRampPlan;
  s4: PushVsPollingPlan;
}

/** Issue 7's break criteria for S3: p99 past 250 ms, or delivery falling behind. */
const RAMP_LIMITS = { maxP99Ms: 250, minDeliveredShare: 0.95 };
/** S2's mix in both modes: jobs at a few Hz, each with a few watchers. */
const REALISTIC_MIX = { ratesHz: [2, 5, 10], watchersPerJob: { min: 1, max: 5 } };

export const PLANS: Record<BenchMode, BenchPlan> = {
  /** Under 3 minutes on 2 cores, build included. */
  quick: {
    s1: { steps: [1000, 5000], jobs: 100 },
    s2: {
      jobs: 200,
      ...REALISTIC_MIX,
      // Long enough for the JIT to have compiled both systems' delivery paths: the window measures them warm.
      warmupMs: 5000,
      windowMs: 4000,
      drainMs: 4000,
    },
    s3: {
      watchers: 1000,
      ratesHz: [5, 10, 20, 50, 100, 200, 500],
      ...RAMP_LIMITS,
      warmupMs: 1000,
      windowMs: 2500,
      drainMs: 3000,
    },
    // At 200 events/s, the gateway's delivery path takes seconds to be compiled by the JIT; a gateway runs
    // for days, so S4 measures each mode warm.
    s4: { jobs: 100, jobHz: 2, pollHz: [1, 4], warmupMs: 6000, windowMs: 3000, drainMs: 3000 },
  },
  /** About 10 minutes. */
  full: {
    s1: { steps: [1000, 5000, 10_000, 20_000], jobs: 100 },
    s2: {
      jobs: 400,
      ...REALISTIC_MIX,
      warmupMs: 3000,
      windowMs: 30_000,
      drainMs: 10_000,
    },
    s3: {
      watchers: 5000,
      ratesHz: [1, 2, 5, 10, 20, 50, 100, 200],
      ...RAMP_LIMITS,
      warmupMs: 2000,
      windowMs: 8000,
      drainMs: 5000,
    },
    s4: { jobs: 200, jobHz: 2, pollHz: [1, 4], warmupMs: 10_000, windowMs: 20_000, drainMs: 5000 },
  },
};
