/**
 * A pool of pre-created isolates (child-process side). `acquire` hands out a warm isolate
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
    return { isolate, memoryMb, calls: 0 };
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
