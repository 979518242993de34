/** Exit codes of the isolate host child process, so the supervisor can tell why it ended. */
export const HOST_EXIT = Object.freeze({
  /** stdin closed or shutdown requested */
  normal: 0,
  /** the supervisor sent a frame or message that broke the protocol */
  protocol: 65,
  /** isolated-vm `onCatastrophicError`: V8 lost control of an isolate */
  catastrophic: 70,
  /** an unexpected exception in the host itself */
  internal: 71,
});

/** Flags the host child needs on Node 24 (isolated-vm requires --no-node-snapshot). */
export const HOST_NODE_FLAGS: readonly string[] = Object.freeze([
  '--no-node-snapshot',
  '--disable-warning=ExperimentalWarning',
]);
