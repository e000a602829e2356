/**
 * The lwIP wasm module (scripts/lwip/build.sh) and its typed boundary: what it exports, and the
 * events it raises through its `lwjs` imports. One instance is one stack, with one netif per
 * address (slot 0 the primary, made by `init`).
 */
import { TcpError } from './errors.ts';

interface LwipExports {
  memory: WebAssembly.Memory;
  io_buffer(): number;
  io_buffer_size(): number;
  init(address: number, netmask: number, gateway: number): number;
  /** An lwIP err_t, or LWIP_NOT_FOR_US. */
  input(len: number): number;
  tick(): void;
  ping(to: number, sequence: number): number;
  netif_max(): number;
  /** A netif index (> 0) or a negative err_t; the MAC is read from the io buffer. */
  netif_add(address: number): number;
  netif_remove(index: number): void;
  /** `address` 0 binds to any address. */
  tcp_listen(port: number, address: number): number;
  tcp_connect(address: number, port: number): number;
  tcp_write(handle: number, len: number): number;
  tcp_sndbuf(handle: number): number;
  tcp_recved(handle: number, len: number): void;
  tcp_shutdown(handle: number): number;
  tcp_close(handle: number): number;
  tcp_abort(handle: number): void;
  tcp_local_port(handle: number): number;
  tcp_remote_port(handle: number): number;
  tcp_local_address(handle: number): number;
  tcp_remote_address(handle: number): number;
}

/** What lwIP tells JS. Views into wasm memory are valid during the call only. */
export interface LwipEvents {
  output(frame: Uint8Array): void;
  tcpAccepted(listener: number, handle: number): void;
  tcpConnected(handle: number): void;
  /** `null` is the peer's FIN. */
  tcpRecv(handle: number, data: Uint8Array | null): void;
  tcpSent(handle: number, len: number): void;
  /** lwIP has already freed the connection. */
  tcpError(handle: number, err: number): void;
  pingReply(from: number, sequence: number): void;
}

export type LwipModule = LwipExports & {
  /** Where frames and data to send are written before `input` or `tcp_write`. */
  readonly ioBuffer: () => Uint8Array;
};

/** `input`'s result for a frame whose destination MAC is none of the stack's: dropped. */
export const LWIP_NOT_FOR_US = 1;

const decoder = new TextDecoder();

export async function instantiateLwip(wasm: BufferSource | WebAssembly.Module, events: LwipEvents): Promise<LwipModule> {
  let memory: WebAssembly.Memory | undefined;
  const view = (ptr: number, len: number) => new Uint8Array(memory!.buffer, ptr, len);
  const cString = (ptr: number) => {
    const bytes = new Uint8Array(memory!.buffer, ptr);
    return decoder.decode(bytes.subarray(0, bytes.indexOf(0)));
  };
  const random = new Uint32Array(1);
  const imports = {
    lwjs: {
      now: () => Math.floor(performance.now()) >>> 0,
      random: () => crypto.getRandomValues(random)[0]!,
      assert_failed: (message: number, file: number, line: number) => {
        throw new TcpError('EIO', `lwIP assertion failed at ${cString(file)}:${line}: ${cString(message)}`);
      },
      output: (ptr: number, len: number) => events.output(view(ptr, len)),
      tcp_accepted: (listener: number, handle: number) => events.tcpAccepted(listener, handle),
      tcp_connected: (handle: number) => events.tcpConnected(handle),
      tcp_recv: (handle: number, ptr: number, len: number) => events.tcpRecv(handle, ptr === 0 ? null : view(ptr, len)),
      tcp_sent: (handle: number, len: number) => events.tcpSent(handle, len),
      tcp_error: (handle: number, err: number) => events.tcpError(handle, err),
      ping_reply: (from: number, sequence: number) => events.pingReply(from >>> 0, sequence),
    },
  };
  const instance = wasm instanceof WebAssembly.Module ? await WebAssembly.instantiate(wasm, imports) : (await WebAssembly.instantiate(wasm, imports)).instance;
  const exports = instance.exports as unknown as LwipExports;
  memory = exports.memory;
  const ioPtr = exports.io_buffer();
  const ioSize = exports.io_buffer_size();
  return Object.assign(Object.create(null), exports, { ioBuffer: () => view(ioPtr, ioSize) }) as LwipModule;
}
