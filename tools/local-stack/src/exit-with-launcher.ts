/**
 * Preloaded into every app the local launcher starts (`node --require`). When the launcher is gone without
 * stopping it (SIGKILL, a crash), the app stops itself as on SIGTERM, finishing or handing back its work,
 * instead of serving on for good; the next launcher would otherwise find its port taken and its Redis
 * shared. An orphan's parent becomes another process, so a changed parent pid is the sign.
 */
const launcher = process.ppid;

const watch = setInterval(() => {
  if (process.ppid === launcher) return;
  clearInterval(watch);
  // No one reads the launcher's end of the output pipes any more: writes fail with EPIPE, which must not
  // end the app before it has stopped cleanly.
  process.stdout.on('error', () => undefined);
  process.stderr.on('error', () => undefined);
  process.kill(process.pid, 'SIGTERM');
}, 500);
// Never what keeps an app alive.
watch.unref();
