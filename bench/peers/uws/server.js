// uWebSockets peer of the wsgate benchmark, run with node. It loads the
// package's native binary directly so that a missing or incompatible binary
// fails loudly instead of silently falling back to the pure-JS `ws` shim.
// Echo sends every message back; broadcast uses uWS's native pub/sub
// (WebSocket.publish does not deliver to the publisher). /pubsub is the
// topics of the pubsub scenario, as wsgate's pubsub kind in raw mode: each
// ?topic=T in the URL subscribes, and what a client with one topic sends is
// published to it (App.publish: subscribers, the sender included).
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

const app = uWS.App();
app
  .ws('/echo', { ...common, message: (ws, msg, isBinary) => { ws.send(msg, isBinary); } })
  .ws('/broadcast', {
    ...common,
    open: (ws) => { ws.subscribe('all'); },
    message: (ws, msg, isBinary) => { ws.publish('all', msg, isBinary); },
  })
  .ws('/pubsub', {
    ...common,
    upgrade: (res, req, context) => {
      const topics = new URLSearchParams(req.getQuery() || '').getAll('topic');
      res.upgrade({ topics },
        req.getHeader('sec-websocket-key'), req.getHeader('sec-websocket-protocol'),
        req.getHeader('sec-websocket-extensions'), context);
    },
    open: (ws) => { for (const t of ws.getUserData().topics) ws.subscribe(t); },
    message: (ws, msg, isBinary) => {
      const { topics } = ws.getUserData();
      if (topics.length === 1) app.publish(topics[0], msg, isBinary);
    },
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
