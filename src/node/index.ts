// The node agent: Pods as sandboxed host processes. See README.md.
import type { KObject } from '../model/object.js';
import { type ReadLogsOptions, readPodLogs as readLogs } from './logs.js';

export { NodeAgent, type NodeAgentOptions } from './agent.js';
export type { PodContext, PodHook, Logger, ContainerEndState } from './pod-runner.js';
export type { ImageMapConfig, ImageMapping } from './images.js';
export { BUILTIN_IMAGE_MAP, parseImage, resolveImage } from './images.js';
export { readStdout, type ReadLogsOptions } from './logs.js';
export { podDirOf } from './volumes.js';

/** Read a container's log from the files under dataDir (no running agent needed). */
export function readPodLogs(dataDir: string, pod: KObject, opts: ReadLogsOptions, onChunk: (text: string) => void): Promise<void> {
  return readLogs(dataDir, pod, opts, onChunk);
}
