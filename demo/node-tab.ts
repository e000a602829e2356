// A tab that lends its CPU to the demo's engine in another tab: a node of that engine's cluster
// (engine/nodes/tab-nodes.ts). `?db=NAME` names the engine's database, as on the demo page.
// Closing this tab is a node failure there: its containers end and services reschedule them.
import './styles.css';
import { joinAsNode, type TabNodeState, tabNodesSupported } from '../engine/index.ts';

declare global {
  interface Window {
    /** Resolves to the node's name once it offered itself. */
    nodeReady: Promise<string>;
    /** What the node is now: waiting for the engine, joined, or ended. */
    nodeState(): TabNodeState | undefined;
  }
}

const db = new URLSearchParams(location.search).get('db') || 'container-engine';
const status = document.getElementById('status')!;
const explain = document.getElementById('explain')!;
const SAY: Record<TabNodeState, (name: string) => string> = {
  waiting: (name) => `node ${name}: waiting for the engine (open the demo in another tab)`,
  joined: (name) => `node ${name}: joined the engine of database "${db}"`,
  ended: (name) => `node ${name}: removed by the engine; reload this tab to join again`,
};
let node: Awaited<ReturnType<typeof joinAsNode>> | undefined;
window.nodeState = () => node?.state();
window.nodeReady = (async () => {
  if (!tabNodesSupported()) throw new Error('this browser has no SharedWorker or Web Locks: a tab cannot be a node');
  let name = '';
  node = await joinAsNode(db, { onState: (s) => (status.textContent = SAY[s](name)) });
  name = node.name;
  status.textContent = SAY[node.state()](name);
  explain.textContent = `Containers the engine places on ${name} run in this tab's Workers. Closing this tab is a node failure: the engine's services start their tasks elsewhere.`;
  return name;
})();
window.nodeReady.catch((e: unknown) => (status.textContent = e instanceof Error ? e.message : String(e)));
