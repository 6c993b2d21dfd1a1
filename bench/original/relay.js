'use strict';
// The Node.js original (npm package redis-ws-alerts) wired up as its README shows: alerts that
// ConnectedContent pops are handed to ConnectionServer.pushNotification. scripts/bench
// --start-original runs this with its own Redis, so both relays are measured with one tool.
//
//   node --expose-gc relay.js --redis redis://127.0.0.1:6379 [--watch watch] [--port 0] [--bind 127.0.0.1]
//
// Prints "original ready on ws://HOST:PORT/" once it listens and its Redis client is ready.
// SIGUSR2 runs a full garbage collection (with --expose-gc), for the idle-memory measurement.
// SIGTERM closes the server and the Redis client and exits.

const express = require('express');
const { ConnectedContent, ConnectionServer } = require('redis-ws-alerts');

function option(name, fallback) {
  const at = process.argv.indexOf(name);
  return at >= 0 && at + 1 < process.argv.length ? process.argv[at + 1] : fallback;
}

const redisUrl = option('--redis', 'redis://127.0.0.1:6379');
const watch = option('--watch', 'watch');
const port = Number(option('--port', '0'));
const bind = option('--bind', '127.0.0.1');

const app = express();
// ConnectionServer calls app.listen(port), which would listen on every address: hand it an app
// whose listen binds the one address asked for, and keep the HTTP server to learn its port.
let http;
const boundApp = {
  listen: (p) => {
    http = app.listen(p, bind);
    return http;
  },
};

const server = new ConnectionServer(boundApp, port);
const content = new ConnectedContent(redisUrl, watch);

content.onFetch = (key, message) => server.pushNotification(key, message);
server.onReady = (key, isInitial) => console.log('- ready ' + key + ' ' + isInitial);
server.onClose = (key, remaining) => console.log('- close ' + key + ' ' + remaining);
server.onError = (err) => console.error('server error: ' + err.message);
content.onError = (err) => console.error('redis error: ' + err.message);

let listening = false;
let redisReady = false;
function announce() {
  if (listening && redisReady) {
    console.log('original ready on ws://' + bind + ':' + http.address().port + '/');
  }
}
http.on('listening', () => {
  listening = true;
  announce();
});
content.onStart = () => {
  redisReady = true;
  announce();
};

process.on('SIGUSR2', () => {
  if (global.gc) {
    global.gc();
    console.log('gc done');
  }
});
process.on('SIGTERM', () => {
  server.close();
  content.close();
  process.exit(0);
});
