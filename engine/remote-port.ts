// A MessageChannel whose far end is handed to a Worker over comlink: what the engine does to
// plug a NIC in (attach) and to open a stream (connect).
import * as Comlink from 'comlink';
import { ConnectionRefusedError } from '../core/errors.ts';

/**
 * Calls `give` with the far end (transferred) and returns the near one; if `give` fails, the near
 * end is closed and a refusal comes back as ConnectionRefusedError (comlink carries an error's
 * name and message across, not its class).
 */
export async function remotePort(give: (far: MessagePort) => Promise<void>): Promise<MessagePort> {
  const { port1, port2 } = new MessageChannel();
  try {
    await give(Comlink.transfer(port2, [port2]));
  } catch (e) {
    port1.close();
    if (e instanceof Error && e.name === ConnectionRefusedError.name) throw new ConnectionRefusedError(e.message);
    throw e;
  }
  return port1;
}
