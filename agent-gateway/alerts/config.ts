/**
 * Alert settings (GET/PUT /admin/alerts/config). A PUT is a partial update: given keys replace
 * the current values (`webhooks` replaces the whole list). Shape by ajv (strict, first error,
 * no coercion/defaults/removal); each webhook URL must be http(s) without credentials and must
 * pass the injected egress check (`checkUrl`), which refuses private destinations.
 */
import { Ajv } from 'ajv';

export interface Webhook { readonly url: string; readonly secret?: string }

export interface AlertConfig {
  readonly webhooks: readonly Webhook[];
  readonly validation_error_threshold: number;
  readonly window_seconds: number;
  readonly worker_check_interval_seconds: number;
  readonly approval_queue_threshold: number;
}

export type UrlCheck = { ok: true } | { ok: false; reason: string };
export type CheckUrl = (url: string) => UrlCheck | Promise<UrlCheck>;
export interface ConfigIssue { readonly instancePath: string; readonly message: string }

export const DEFAULT_ALERT_CONFIG: AlertConfig = Object.freeze({
  webhooks: Object.freeze([]),
  validation_error_threshold: 20,
  window_seconds: 60,
  worker_check_interval_seconds: 30,
  approval_queue_threshold: 50,
});

const int = (minimum: number, maximum: number) => ({ type: 'integer', minimum, maximum });
const patchSchema = {
  type: 'object', additionalProperties: false,
  properties: {
    webhooks: {
      type: 'array', maxItems: 10,
      items: {
        type: 'object', additionalProperties: false, required: ['url'],
        properties: { url: { type: 'string', minLength: 1, maxLength: 2048 }, secret: { type: 'string', minLength: 16, maxLength: 256 } },
      },
    },
    validation_error_threshold: int(1, 1_000_000),
    window_seconds: int(10, 3600),
    worker_check_interval_seconds: int(5, 3600),
    approval_queue_threshold: int(1, 100_000),
  },
};
const checkPatch = new Ajv({ strict: true, allErrors: false }).compile(patchSchema);

export type AlertConfigResult = { ok: true; config: AlertConfig } | { ok: false; errors: ConfigIssue[] };

/** Validates the shape of `patch` and merges it over `current` (no URL check). */
export function mergeAlertConfigPatch(current: AlertConfig, patch: unknown): AlertConfigResult {
  if (!checkPatch(patch)) {
    const e = checkPatch.errors?.[0];
    return { ok: false, errors: [{ instancePath: e?.instancePath ?? '', message: e?.message ?? 'invalid alert config' }] };
  }
  const p = patch as Partial<AlertConfig>;
  const webhooks = (p.webhooks ?? current.webhooks).map((w) => Object.freeze(w.secret === undefined ? { url: w.url } : { url: w.url, secret: w.secret }));
  return {
    ok: true,
    config: Object.freeze({
      webhooks: Object.freeze(webhooks),
      validation_error_threshold: p.validation_error_threshold ?? current.validation_error_threshold,
      window_seconds: p.window_seconds ?? current.window_seconds,
      worker_check_interval_seconds: p.worker_check_interval_seconds ?? current.worker_check_interval_seconds,
      approval_queue_threshold: p.approval_queue_threshold ?? current.approval_queue_threshold,
    }),
  };
}

/** PUT /admin/alerts/config: shape, merge, then every webhook URL through `checkWebhookUrl`. */
export async function applyAlertConfigPatch(current: AlertConfig, patch: unknown, checkUrl: CheckUrl): Promise<AlertConfigResult> {
  const merged = mergeAlertConfigPatch(current, patch);
  if (!merged.ok) return merged;
  const errors: ConfigIssue[] = [];
  for (const [i, w] of merged.config.webhooks.entries()) {
    const r = await checkWebhookUrl(w.url, checkUrl);
    if (!r.ok) errors.push({ instancePath: `/webhooks/${i}/url`, message: r.reason });
  }
  return errors.length > 0 ? { ok: false, errors } : merged;
}

/** Syntax (http/https, no userinfo) and then the injected egress check; used at config and send time. */
export async function checkWebhookUrl(raw: string, checkUrl: CheckUrl): Promise<UrlCheck> {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    return { ok: false, reason: 'must be an absolute URL' };
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') return { ok: false, reason: 'must use http or https' };
  if (u.username !== '' || u.password !== '') return { ok: false, reason: 'must not contain credentials' };
  try {
    const r = await checkUrl(u.href);
    return r.ok ? { ok: true } : { ok: false, reason: `refused by egress policy: ${r.reason}` };
  } catch {
    return { ok: false, reason: 'refused by egress policy' };
  }
}

/** The config as shown to admins: webhook secrets are never returned. */
export function alertConfigView(c: AlertConfig) {
  return {
    webhooks: c.webhooks.map((w) => ({ url: w.url, has_secret: w.secret !== undefined })),
    validation_error_threshold: c.validation_error_threshold,
    window_seconds: c.window_seconds,
    worker_check_interval_seconds: c.worker_check_interval_seconds,
    approval_queue_threshold: c.approval_queue_threshold,
  };
}
