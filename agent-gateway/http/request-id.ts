import { randomUUID } from 'node:crypto';
import type { RequestHandler } from 'express';

/** Every response carries X-Request-Id; the id is generated here, never taken from the client. */
export function requestId(): RequestHandler {
  return (_req, res, next) => {
    const id = randomUUID();
    res.locals['requestId'] = id;
    res.setHeader('X-Request-Id', id);
    next();
  };
}
