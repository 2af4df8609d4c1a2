// A pacing TCP proxy on loopback: a slow uplink in front of the double (TLS passes through).
//   startPacer(targetPort, bytesPerSecond) -> Promise<{port, close}>
import net from 'node:net';
import { performance } from 'node:perf_hooks';

// Forward src to dst at `rate` bytes/s on average: each chunk is written, then reading pauses
// for as long as that chunk takes at the rate (and until dst drains).
function pace(src, dst, rate) {
  let next = 0;
  src.on('data', (chunk) => {
    const now = performance.now();
    next = Math.max(next, now) + (chunk.length / rate) * 1000;
    const flushed = dst.write(chunk);
    src.pause();
    const resume = () => setTimeout(() => src.resume(), Math.max(0, next - performance.now()));
    if (flushed) resume(); else dst.once('drain', resume);
  });
  src.on('end', () => dst.end());
  src.on('error', () => dst.destroy());
  src.on('close', () => dst.destroy());
}

export function startPacer(targetPort, rate) {
  const sockets = new Set();
  const server = net.createServer((client) => {
    const upstream = net.connect(targetPort, '127.0.0.1');
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
    }
    client.setNoDelay(true);
    upstream.setNoDelay(true);
    pace(client, upstream, rate);
    pace(upstream, client, rate);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve({
      port: server.address().port,
      close: () => { server.close(); for (const socket of sockets) socket.destroy(); },
    }));
  });
}
