/** An AbortSignal that fires when the client goes away before its response finished. */
import type { Response } from 'express';

export function clientSignal(res: Response): AbortSignal {
  const controller = new AbortController();
  res.once('close', () => {
    if (!res.writableFinished) controller.abort();
  });
  return controller.signal;
}
