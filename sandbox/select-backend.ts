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
