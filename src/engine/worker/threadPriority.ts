// The engine's threads do background analysis beside an editor: they should yield the cores to VS Code's own
// processes (the workbench, its webviews, the extension host's main thread) whenever those want them.
import * as os from 'node:os';

/**
 * How far below normal priority the extremal mask thread runs: it only borrows a second core. (The engine's own
 * thread stays at normal priority: at nice 5 the Explain panel missed a whole run's live updates in 3 of 8 local UI runs.)
 */
export const HELPER_THREAD_NICE = 10;

/**
 * Lowers the calling thread's priority on Linux, where priorities are per thread (pid 0 = the calling thread).
 * Elsewhere the call would renice the whole process (the extension host), so it does nothing there.
 */
export function lowerThisThreadPriority(nice: number): void {
  if (process.platform !== 'linux') return;
  try { os.setPriority(0, nice); } catch { /* not permitted: run at normal priority */ }
}
