import type { MachineInfo } from '../machine';
import type { BenchMode, BenchPlan } from '../plan';
import type { IdleWatchersResult } from '../scenarios/s1-idle-watchers';
import type { RealisticTrafficResult } from '../scenarios/s2-realistic-traffic';
import type { FanOutRampResult } from '../scenarios/s3-fan-out-ramp';
import type { PushVsPollingResult } from '../scenarios/s4-push-vs-polling';

export type ScenarioId = 'S1' | 'S2' | 'S3' | 'S4';

/** One of issue 7's targets, judged on this run's figures. */
export interface TargetResult {
  scenario: ScenarioId;
  goal: string;
  jobcast: string;
  baseline: string;
  /** Jobcast's figure over the baseline's, when the target is a ratio. */
  ratio?: number;
  /** null: this run could not tell (not measured, or the machine could not reach the load). */
  met: boolean | null;
  note?: string;
}

/** Everything one run measured: written as bench/results/*.json, rendered as Markdown. */
export interface BenchResults {
  mode: BenchMode;
  command: string;
  startedAt: string;
  durationS: number;
  machine: MachineInfo;
  plan: BenchPlan;
  s1?: IdleWatchersResult;
  s2?: RealisticTrafficResult;
  s3?: FanOutRampResult;
  s4?: PushVsPollingResult;
  targets: TargetResult[];
}
