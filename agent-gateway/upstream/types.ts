/**
 * Shapes the upstream modules share (register.ts decides, overrides.ts checks, store.ts keeps):
 * here so that none of them imports another only for a type.
 */

/** A decision on part of a registration: the checked value, or the refusal with its code. */
export type Check<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly code: UpstreamRefusal; readonly reason: string };
export type UpstreamRefusal = 'GW_ERR_VALIDATION' | 'GW_ERR_UPSTREAM_MOUNT' | 'GW_ERR_UPSTREAM_PACKAGE';

/** `none`: no network at all; `egress-allowlist`: only the gateway's egress tunnel (issue 16 item 2) */
export type UpstreamNetwork = 'none' | 'egress-allowlist';

/** A bind mount after its checks (host path resolved with realpath). */
export interface ResolvedMount {
  readonly host_path: string;
  readonly container_path: string;
  readonly read_only: boolean;
}
