// The element's front door (the package's `./element` entry): importing it defines
// <container-sandbox>.
export type { SandboxExitDetail, SandboxOutputDetail } from './container-sandbox.ts';
export { ContainerSandbox } from './container-sandbox.ts';
