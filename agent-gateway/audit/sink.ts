/** The audit EventSink: `record` resolves only once the event's line is fsynced. */
import type { EventSink } from '../events.ts';
import type { AuditLog } from './log.ts';

export function createAuditSink(log: AuditLog): EventSink {
  return {
    async record(event) {
      await log.append(event);
    },
  };
}
