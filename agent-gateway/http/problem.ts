/**
 * RFC 9457 problem+json rendering and the one error middleware. Unknown errors become a
 * generic 500 with no stack or message; GatewayError carries a safe detail.
 */
import type { ErrorRequestHandler, Response } from 'express';
import { gatewayTitle, GatewayError, type GatewayErrorCode } from '../errors.ts';
import type { Logger } from '../logger.ts';
import { requestIdOf } from './locals.ts';

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: string;
  request_id: string;
  [extension: string]: unknown;
}

const RESERVED = new Set(['type', 'title', 'status', 'detail', 'code', 'request_id']);

export function problemBody(
  code: string,
  status: number,
  title: string,
  detail: string,
  requestId: string,
  extras: Readonly<Record<string, unknown>> = {},
): Problem {
  const body: Problem = { type: `urn:palisade:error:${code}`, title, status, detail, code, request_id: requestId };
  for (const [k, v] of Object.entries(extras)) if (!RESERVED.has(k)) body[k] = v;
  return body;
}

export function sendProblem(res: Response, error: GatewayError): void {
  const requestId = requestIdOf(res);
  const title = gatewayTitle(error.code);
  for (const [k, v] of Object.entries(error.headers)) res.setHeader(k, v);
  res
    .status(error.status)
    .type('application/problem+json')
    .send(JSON.stringify(problemBody(error.code, error.status, title, error.detail ?? title, requestId, error.extras)));
}

/** Maps body-parser / express errors (which carry `type` and `status`) to registry codes. */
export function fromFrameworkError(err: unknown): GatewayError | undefined {
  if (err === null || typeof err !== 'object') return undefined;
  const type = (err as { type?: unknown }).type;
  const status = (err as { status?: unknown }).status;
  const map: Record<string, GatewayErrorCode> = {
    'entity.too.large': 'GW_ERR_BODY_TOO_LARGE',
    'entity.parse.failed': 'GW_ERR_BAD_JSON',
    'encoding.unsupported': 'GW_ERR_UNSUPPORTED_MEDIA_TYPE',
    'charset.unsupported': 'GW_ERR_UNSUPPORTED_MEDIA_TYPE',
    'request.size.invalid': 'GW_ERR_BAD_JSON',
    'request.aborted': 'GW_ERR_BAD_JSON',
    'stream.encoding.set': 'GW_ERR_INTERNAL',
  };
  if (typeof type === 'string' && map[type] !== undefined) return new GatewayError(map[type]);
  // the router's param decoding (a bad %-escape inside a route parameter): a path problem, not JSON
  if (err instanceof URIError || (status === 400 && /^Failed to decode param/.test(String((err as { message?: unknown }).message)))) {
    return new GatewayError('GW_ERR_BAD_PATH', 'The request path has a malformed percent-encoding.');
  }
  if (status === 413) return new GatewayError('GW_ERR_BODY_TOO_LARGE');
  if (status === 400) return new GatewayError('GW_ERR_BAD_JSON');
  return undefined;
}

export function errorMiddleware(logger: Logger): ErrorRequestHandler {
  return (err, req, res, next) => {
    if (res.headersSent) {
      next(err);
      return;
    }
    const known = err instanceof GatewayError ? err : fromFrameworkError(err);
    if (known) {
      sendProblem(res, known);
      return;
    }
    logger.error('unhandled error', {
      request_id: requestIdOf(res),
      method: req.method,
      path: req.path,
      error: err instanceof Error ? err.message : String(err),
      stack: err instanceof Error ? err.stack : undefined,
    });
    sendProblem(res, new GatewayError('GW_ERR_INTERNAL', 'An internal error occurred; see the request id in the server log.'));
  };
}
