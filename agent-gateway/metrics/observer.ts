/**
 * Adapters from the gateway's hooks to the metrics: the tool pipeline's observer, a timed
 * event sink (audit write latency), and the HTTP request counter middleware.
 */
import type { RequestHandler } from 'express';
import type { EventSink } from '../events.ts';
import type { Outcome } from './labels.ts';
import type { Metrics } from './metrics.ts';
import { stageSince } from './stages.ts';

const REFUSAL_OUTCOME: Readonly<Record<string, Outcome>> = {
  kill_switch: 'kill_switch',
  circuit_breaker: 'paused',
  rate_limit: 'rate_limited',
  scope: 'denied',
  policy: 'denied',
  body: 'invalid',
  tool_name: 'invalid',
  registry: 'invalid',
  sanitize: 'invalid',
  validate: 'invalid',
};

function finishedOutcome(outcome: string): Outcome {
  if (outcome === 'ok') return 'ok';
  if (outcome === 'SBX_ERR_SATURATED' || outcome === 'SBX_ERR_UNAVAILABLE') return 'unavailable';
  return 'error';
}

/** The tool pipeline's metric hooks (structurally tools/services.ts PipelineObserver; declared here so metrics imports nothing above it). */
export interface PipelineMetricHooks {
  callFinished(tool: string, outcome: string, backend: string, seconds: number): void;
  callRefused(tool: string, step: string): void;
  callPending(tool: string): void;
  validationError(tool: string): void;
  decision(effect: string): void;
  rateLimited(route: string): void;
}

export function metricsObserver(m: Metrics): PipelineMetricHooks {
  return {
    callFinished: (tool, outcome, backend, seconds) => {
      m.toolCall(tool, finishedOutcome(outcome));
      if (backend === 'isolate' || backend === 'docker') m.toolCallDuration(tool, backend, seconds);
    },
    callRefused: (tool, step) => m.toolCall(tool, REFUSAL_OUTCOME[step] ?? 'denied'),
    callPending: (tool) => m.toolCall(tool, 'pending_approval'),
    validationError: (tool) => m.validationError(tool),
    decision: (effect) => m.policyDecision(effect),
    rateLimited: (route) => m.rateLimited(route),
  };
}

/** Records how long each durable audit write takes. */
export function timedSink(sink: EventSink, m: Metrics): EventSink {
  return {
    record: async (event) => {
      const started = performance.now();
      try {
        await sink.record(event);
      } finally {
        m.auditWrite((performance.now() - started) / 1000);
        stageSince('audit', started);
      }
    },
  };
}

/** Counts requests by method, matched route pattern (never the raw path) and status. */
export function httpMetrics(m: Metrics): RequestHandler {
  return (req, res, next) => {
    res.on('finish', () => {
      const route: unknown = req.route?.path;
      m.httpRequest(req.method, typeof route === 'string' ? route : undefined, res.statusCode);
    });
    next();
  };
}
