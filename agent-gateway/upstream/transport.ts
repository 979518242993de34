/**
 * The MCP SDK's Transport over one upstream server container's stdio (newline-delimited JSON-RPC).
 * The container side (sandbox/docker/mcp-container.ts) has already capped each line at 256 KiB;
 * here each line must parse as one JSON-RPC message (the SDK's own schema check). A line that
 * does not is a protocol violation: the container is ended, never "skipped".
 */
import type { JSONRPCMessage, Transport } from '@modelcontextprotocol/client';
import type { McpClientSdk } from './sdk.ts';

/** The SDK's own line codec (its schema check on the way in). */
export type LineCodec = Pick<McpClientSdk, 'serializeMessage' | 'deserializeMessage'>;

export interface LineChannel {
  send(line: string): boolean;
  destroy(): Promise<void>;
}

export class ContainerTransport implements Transport {
  onclose?: (() => void) | undefined;
  onerror?: ((error: Error) => void) | undefined;
  onmessage?: (<T extends JSONRPCMessage>(message: T) => void) | undefined;
  readonly #codec: LineCodec;
  #channel: LineChannel | undefined;
  #closed = false;

  constructor(codec: LineCodec) {
    this.#codec = codec;
  }

  attach(channel: LineChannel): void {
    this.#channel = channel;
  }

  async start(): Promise<void> {
    if (this.#channel === undefined) throw new Error('container transport has no channel');
  }

  /** a line from the container's stdout */
  receive(line: string): void {
    if (this.#closed) return;
    let message: JSONRPCMessage;
    try {
      message = this.#codec.deserializeMessage(line);
    } catch {
      this.onerror?.(new Error('the upstream server sent a line that is not a JSON-RPC message'));
      void this.close();
      return;
    }
    this.onmessage?.(message);
  }

  async send(message: JSONRPCMessage): Promise<void> {
    if (this.#closed || this.#channel === undefined || !this.#channel.send(this.#codec.serializeMessage(message).trimEnd())) {
      throw new Error('the upstream server is not running');
    }
  }

  /** the container ended */
  ended(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.onclose?.();
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#channel?.destroy();
    this.onclose?.();
  }
}
