/**
 * Request-body validation with ajv, compiled once when the app is created. ajv never runs
 * with allErrors/removeAdditional/useDefaults/coerceTypes: input is checked, not rewritten.
 */
import { Ajv, type ErrorObject, type JSONSchemaType, type ValidateFunction } from 'ajv';
import type { Request } from 'express';
import { gwError } from '../errors.ts';

const ajv = new Ajv({ strict: true, allErrors: false, coerceTypes: false, useDefaults: false, removeAdditional: false });

export interface FieldError {
  instancePath: string;
  message: string;
}

export function toFieldErrors(errors: readonly ErrorObject[] | null | undefined): FieldError[] {
  return (errors ?? []).slice(0, 20).map((e) => ({
    instancePath: e.instancePath,
    message: e.keyword === 'additionalProperties'
      ? `must NOT have additional property ${JSON.stringify(String(e.params['additionalProperty']).slice(0, 64))}`
      : (e.message ?? 'is invalid'),
  }));
}

export type BodyValidator<T> = (req: Request) => T;

/**
 * The request-body schema of each route (`POST /admin/agents` → schema), recorded when a router
 * is built: GET /openapi.json is assembled from exactly the schemas that validate (one source).
 */
export const ROUTE_BODY_SCHEMAS = new Map<string, Readonly<Record<string, unknown>>>();

/**
 * Returns a function that yields the typed body or throws a 422 GatewayError. `routes`
 * (`'POST /admin/agents'`) name where it validates, for the OpenAPI document.
 */
export function bodyValidator<T>(schema: JSONSchemaType<T> | Record<string, unknown>, ...routes: string[]): BodyValidator<T> {
  for (const route of routes) ROUTE_BODY_SCHEMAS.set(route, schema as Record<string, unknown>);
  const validate = ajv.compile(schema) as ValidateFunction<T>;
  return (req) => {
    const body: unknown = req.body ?? {};
    if (validate(body)) return body;
    throw gwError('GW_ERR_VALIDATION', 'The request body does not match the expected shape.', {
      extras: { errors: toFieldErrors(validate.errors) },
    });
  };
}

/** A single route parameter as a string (express 5 types allow arrays for wildcards). */
export function param(value: string | string[] | undefined): string {
  return typeof value === 'string' ? value : '';
}
