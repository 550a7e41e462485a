// uWebSockets peer of the wsgate benchmark, run with node. It loads the
// package's native binary directly so that a missing or incompatible binary
// fails loudly instead of silently falling back to the pure-JS `ws` shim.
// Echo sends every message back; broadcast uses uWS's native pub/sub
// (WebSocket.publish does not deliver to the publisher).
'use strict';
const path = require('path');
const pkg = path.dirname(require.resolve('@trufflesuite/uws-js-unofficial/package.json'));
const uWS = require(path.join(pkg, 'binaries',
  `uws_${process.platform}_${process.arch}_${process.versions.modules}.node`));

const addr = (process.argv.find((a, i) => process.argv[i - 1] === '-addr') || '127.0.0.1:18100');
const sep = addr.lastIndexOf(':');
const host = addr.slice(0, sep);
const port = Number(addr.slice(sep + 1));

const common = { compression: uWS.DISABLED, maxPayloadLength: 1 << 20, idleTimeout: 0, maxBackpressure: 4 << 20 };

uWS.App()
  .ws('/echo', { ...common, message: (ws, msg, isBinary) => { ws.send(msg, isBinary); } })
  .ws('/broadcast', {
    ...common,
    open: (ws) => { ws.subscribe('all'); },
    message: (ws, msg, isBinary) => { ws.publish('all', msg, isBinary); },
  })
  .listen(host, port, (token) => {
    if (!token) {
      console.error(`uws: cannot listen on ${addr}`);
      process.exit(1);
    }
  });

const stop = () => process.exit(0);
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
