/**
 * Which sandbox runs a tool. Pure. A tool that asked for docker never falls back to the
 * weaker isolate: it is refused (503) when docker is not usable.
 */
export type ToolBackendPreference = 'any' | 'isolate' | 'docker' | 'prefer-docker';
export type SandboxMode = 'isolate' | 'docker' | 'auto';

export type BackendChoice =
  | { readonly ok: true; readonly backend: 'isolate' | 'docker' }
  | { readonly ok: false; readonly code: 'SBX_ERR_UNAVAILABLE'; readonly reason: string };

function use(backend: 'isolate' | 'docker', healthy: boolean, what: string): BackendChoice {
  return healthy ? { ok: true, backend } : { ok: false, code: 'SBX_ERR_UNAVAILABLE', reason: `${what}: the ${backend} backend is not healthy` };
}

export function selectBackend(
  toolBackend: ToolBackendPreference,
  mode: SandboxMode,
  dockerHealthy: boolean,
  isolateHealthy: boolean,
): BackendChoice {
  switch (toolBackend) {
    case 'docker':
      if (mode === 'isolate') {
        return { ok: false, code: 'SBX_ERR_UNAVAILABLE', reason: 'tool requires docker but PALISADE_SANDBOX_BACKEND=isolate' };
      }
      return use('docker', dockerHealthy, 'tool requires docker');
    case 'prefer-docker':
      if (mode !== 'isolate' && dockerHealthy) return { ok: true, backend: 'docker' };
      return use('isolate', isolateHealthy, 'docker unavailable, isolate fallback');
    case 'any':
      if (mode === 'docker') return use('docker', dockerHealthy, 'PALISADE_SANDBOX_BACKEND=docker');
      return use('isolate', isolateHealthy, 'tool runs in the isolate');
    case 'isolate':
      return use('isolate', isolateHealthy, 'tool requires the isolate');
    default: {
      const never: never = toolBackend;
      return { ok: false, code: 'SBX_ERR_UNAVAILABLE', reason: `unknown backend preference ${String(never)}` };
    }
  }
}

export interface RoutedTool {
  readonly risk: string;
  readonly backend: ToolBackendPreference;
}

export interface Routing {
  /** where each risk class's tools run right now: "docker", "isolate", "refused" (joined when mixed) */
  readonly byRisk: Readonly<Record<string, string>>;
  /** docker's state and why, in words */
  readonly docker: string;
  /** one line for the start-up log, /health/ready and doctor */
  readonly line: string;
}

/** Pure: the active backend per risk class and why (no silent degradation, issue 18 item 5). */
export function describeRouting(
  mode: SandboxMode,
  docker: { readonly usable: boolean; readonly detail: string; readonly note?: string | undefined } | undefined,
  isolateUsable: boolean,
  tools: readonly RoutedTool[],
): Routing {
  const dockerUsable = docker?.usable === true;
  const dockerWords = mode === 'isolate' ? 'off (PALISADE_SANDBOX_BACKEND=isolate)'
    : docker === undefined ? 'not configured'
      : dockerUsable ? `available${docker.note === undefined ? '' : ` (${docker.note})`}` : `unavailable (${docker.detail})`;
  const groups = new Map<string, Set<string>>();
  for (const tool of tools) {
    const choice = selectBackend(tool.backend, mode, dockerUsable, isolateUsable);
    const where = choice.ok ? choice.backend : 'refused';
    const set = groups.get(tool.risk) ?? new Set<string>();
    set.add(where);
    groups.set(tool.risk, set);
  }
  const order = ['low', 'medium', 'high', 'critical'];
  const risks = [...groups.keys()].sort((a, b) => order.indexOf(a) - order.indexOf(b));
  const byRisk: Record<string, string> = {};
  for (const risk of risks) byRisk[risk] = [...groups.get(risk)!].sort().join('+');
  const placed = risks.map((r) => `${r}-risk tools run in ${byRisk[r]}`).join(', ');
  return { byRisk, docker: dockerWords, line: `docker: ${dockerWords} → ${placed === '' ? 'no tools registered' : placed}` };
}
