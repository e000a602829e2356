/** The engine's own TCP/IP stack: lwIP in wasm (scripts/lwip/build.sh) behind streams. */
export { TcpAbortedError, TcpAddressInUseError, TcpError, TcpRefusedError, TcpResetError, TcpTimedOutError } from './errors.ts';
export { type StackAddress, TcpIpStack, type TcpListener } from './stack.ts';
export type { TcpConnection } from './tcp-connection.ts';
