// Preloaded into a spawned `aduan start --role worker` (NODE_OPTIONS=--import=<this file's URL>)
// by crash-worker.test.ts, to stop the process at one exact moment: right after a ticket was
// written, before its confirmation is queued and before BullMQ acknowledges the job. Production
// code is untouched; ioredis is patched instead.
//
// ioredis is CommonJS, so this `require` and the app's `import { Redis } from 'ioredis'` share one
// module instance (the require cache). Every connection's `defineCommand` comes from
// Commander.prototype; the `ticketCreate` command it defines on a connection is wrapped so that,
// once the script has run and Redis has answered, a marker line is printed and the promise never
// settles: the job stays active, its lock kept alive, until the test SIGKILLs the process.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const Commander = require('ioredis/built/utils/Commander.js').default;

/** The line the test waits for; the script's reply (code, tracking id) follows it as JSON. */
const MARKER = 'ADUAN-TEST hung after ticketCreate';

const define = Commander.prototype.defineCommand;
Commander.prototype.defineCommand = function defineCommand(name, definition) {
  define.call(this, name, definition);
  if (name !== 'ticketCreate') return;
  const run = this[name];
  this[name] = function ticketCreateThenHang(...args) {
    return run.apply(this, args).then((reply) => {
      process.stdout.write(`${MARKER} ${JSON.stringify(reply)}\n`);
      return new Promise(() => undefined);
    });
  };
};
