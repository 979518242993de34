/**
 * A pool of pre-created isolates (child-process side), each holding the fresh context its next
 * call will use, created ahead of time (issue 12: context creation is off the critical path). `acquire` hands out a warm isolate
 * with the requested memory limit (or creates one); `release` puts it back unless it must be
 * retired (after any failure or after `maxCallsPerIsolate` calls), in which case it is
 * disposed. `size` isolates of the default memory limit are kept warm (refilled in the
 * background); other sizes are kept once used, up to `size` each and 4 * `size` in total.
 */
import ivm from 'isolated-vm';

export interface PoolOptions {
  /** isolates kept warm for the default memory size */
  readonly size: number;
  readonly defaultMemoryMb: number;
  readonly maxCallsPerIsolate: number;
  /** called when V8 reports it lost control of an isolate; must end the process */
  readonly onCatastrophicError: (message: string) => void;
}

export interface PooledIsolate {
  readonly isolate: ivm.Isolate;
  readonly memoryMb: number;
  calls: number;
  /** the context the next call on this isolate gets, created ahead of time (off the request path) */
  next: Promise<ivm.Context> | undefined;
}

/**
 * The fresh context for this call: the one created ahead of time, and the one after it starts
 * being built now (in the isolate's thread, while this call's result travels back).
 */
export function takeContext(entry: PooledIsolate): Promise<ivm.Context> {
  const context = entry.next ?? entry.isolate.createContext();
  entry.next = undefined;
  return context;
}

function precreate(entry: PooledIsolate): void {
  if (entry.next !== undefined || entry.isolate.isDisposed) return;
  const next = entry.isolate.createContext();
  next.catch(() => undefined); // the isolate may be disposed before it is used
  entry.next = next;
}

export class IsolatePool {
  readonly #options: PoolOptions;
  readonly #idle: PooledIsolate[] = [];
  #closed = false;

  constructor(options: PoolOptions) {
    this.#options = options;
    this.#fill();
  }

  get idleCount(): number {
    return this.#idle.length;
  }

  create(memoryMb: number): PooledIsolate {
    const isolate = new ivm.Isolate({ memoryLimit: memoryMb, onCatastrophicError: this.#options.onCatastrophicError });
    const entry: PooledIsolate = { isolate, memoryMb, calls: 0, next: undefined };
    precreate(entry);
    return entry;
  }

  acquire(memoryMb: number): PooledIsolate {
    const index = this.#idle.findIndex((p) => p.memoryMb === memoryMb && !p.isolate.isDisposed);
    const found = index >= 0 ? this.#idle.splice(index, 1)[0] : undefined;
    return found ?? this.create(memoryMb);
  }

  release(entry: PooledIsolate, retire: boolean): void {
    entry.calls += 1;
    const spent = retire || entry.calls >= this.#options.maxCallsPerIsolate || entry.isolate.isDisposed;
    const sameSize = this.#idle.filter((p) => p.memoryMb === entry.memoryMb).length;
    if (spent || this.#closed || sameSize >= this.#options.size || this.#idle.length >= this.#options.size * 4) {
      dispose(entry);
    } else {
      precreate(entry);
      this.#idle.push(entry);
    }
    setImmediate(() => this.#fill());
  }

  close(): void {
    this.#closed = true;
    for (const entry of this.#idle.splice(0)) dispose(entry);
  }

  #fill(): void {
    const size = this.#options.defaultMemoryMb;
    let warm = this.#idle.filter((p) => p.memoryMb === size).length;
    for (; !this.#closed && warm < this.#options.size; warm++) this.#idle.push(this.create(size));
  }
}

function dispose(entry: PooledIsolate): void {
  try {
    if (!entry.isolate.isDisposed) entry.isolate.dispose();
  } catch {
    /* already gone */
  }
}
