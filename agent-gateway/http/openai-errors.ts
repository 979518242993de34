/**
 * Errors under /v1/* (the OpenAI-compatible surface) keep the RFC 9457 problem+json body and
 * add OpenAI's `error` member, `{message, type, code, param}`, so SDK apps (the `openai` npm
 * and Python clients read `body.error`) show a readable message instead of "(no body)".
 * Mounted in app.ts just before the generic error middleware; everything it shows is the
 * problem's safe title/detail, never a stack or upstream text.
 */
import type { ErrorRequestHandler } from 'express';
import { requestIdOf } from './locals.ts';
import { gatewayTitle, GatewayError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import { fromFrameworkError, problemBody } from './problem.ts';

export interface OpenAiError {
  message: string;
  type: string;
  code: string;
  param: string | null;
}

/** OpenAI's error `type` for an HTTP status. */
export function openAiErrorType(status: number): string {
  if (status === 401) return 'authentication_error';
  if (status === 403) return 'permission_error';
  if (status === 404) return 'not_found_error';
  if (status === 429) return 'rate_limit_error';
  if (status >= 500) return status === 503 ? 'service_unavailable_error' : 'api_error';
  return 'invalid_request_error';
}

/** `/messages/0/role` → `messages[0].role` (OpenAI's `param` notation). */
export function paramOf(instancePath: string): string | null {
  const parts = instancePath.split('/').filter((p) => p !== '');
  if (parts.length === 0) return null;
  return parts.map((p, i) => (/^\d+$/.test(p) ? `[${p}]` : i === 0 ? p : `.${p}`)).join('').slice(0, 200);
}

/** Builds the OpenAI error member from a gateway error (pure). */
export function openAiError(error: GatewayError): OpenAiError {
  const title = gatewayTitle(error.code);
  const errors = error.extras['errors'];
  const first = Array.isArray(errors) ? (errors[0] as { instancePath?: unknown; message?: unknown } | undefined) : undefined;
  const where = typeof first?.instancePath === 'string' ? first.instancePath : '';
  const what = typeof first?.message === 'string' ? first.message : undefined;
  const param = paramOf(where);
  const base = error.detail ?? title;
  const message = what === undefined ? base : `${base} ${param ?? 'body'}: ${what}`;
  return { message, type: openAiErrorType(error.status), code: error.code, param };
}

export function openAiErrorMiddleware(logger: Logger): ErrorRequestHandler {
  return (err, req, res, next) => {
    if (res.headersSent) {
      next(err);
      return;
    }
    let known = err instanceof GatewayError ? err : fromFrameworkError(err);
    if (!known) {
      logger.error('unhandled error', {
        request_id: requestIdOf(res), method: req.method, path: req.path,
        error: err instanceof Error ? err.message : String(err), stack: err instanceof Error ? err.stack : undefined,
      });
      known = new GatewayError('GW_ERR_INTERNAL', 'An internal error occurred; see the request id in the server log.');
    }
    const requestId = requestIdOf(res);
    for (const [k, v] of Object.entries(known.headers)) res.setHeader(k, v);
    const body = problemBody(known.code, known.status, gatewayTitle(known.code), known.detail ?? gatewayTitle(known.code), requestId, known.extras);
    res.status(known.status).type('application/problem+json').send(JSON.stringify({ ...body, error: openAiError(known) }));
  };
}
