// One sync of a private gateway as the official client makes it: collect and deliver at once.
//   node sync.mjs HOST:PORT CCAFILE RECIPIENT_ID DELIVER_DEADLINE_MS FILE...
//   -> {"ms": total, "collect": {"ms", "cargo", "error"}, "deliver": {"ms", "acked", "error"}}
// CollectCargo runs under the client's own 3 s deadline. The client sets none on DeliverCargo
// (its options land where grpc-js expects metadata), so the call is given DELIVER_DEADLINE_MS
// here, the JVM client's 5 s by default: past it the call is abandoned and counts as failed.
import { readFileSync } from 'node:fs';
import cogrpc from '@relaycorp/cogrpc';
import core from '@relaycorp/relaynet-core';

const { CogRPCClient } = cogrpc;
const { Cargo } = core;

async function* relays(files) {
  for (const file of files) {
    yield { localId: file, cargo: readFileSync(file) };
  }
}

async function collect(client, ccaFile, recipientId) {
  const started = performance.now();
  const cargo = [];
  try {
    for await (const serialized of client.collectCargo(readFileSync(ccaFile))) {
      const message = await Cargo.deserialize(serialized);
      await message.validate();
      if (message.recipient.id !== recipientId) {
        throw new Error('cargo for another gateway');
      }
      cargo.push(message.id);
    }
    return { ms: performance.now() - started, cargo, error: null };
  } catch (error) {
    return { ms: performance.now() - started, cargo, error: String(error) };
  }
}

async function deliver(client, files, deadlineMs) {
  const started = performance.now();
  const acked = [];
  let timer;
  const expired = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no acks within ${deadlineMs} ms`)), deadlineMs);
  });
  try {
    await Promise.race([expired, (async () => {
      for await (const localId of client.deliverCargo(relays(files))) {
        acked.push(localId);
      }
    })()]);
    return { ms: performance.now() - started, acked, error: null };
  } catch (error) {
    return { ms: performance.now() - started, acked, error: String(error) };
  } finally {
    clearTimeout(timer);
  }
}

const [host, ccaFile, recipientId, deadline, ...files] = process.argv.slice(2);
const started = performance.now();
let result;
try {
  const client = await CogRPCClient.initLan(host);
  try {
    const [collected, delivered] = await Promise.all([
      collect(client, ccaFile, recipientId), deliver(client, files, Number(deadline))]);
    result = { ms: performance.now() - started, collect: collected, deliver: delivered };
  } finally {
    client.close();
  }
} catch (error) {
  result = { ms: performance.now() - started, error: String(error) };
}
process.stdout.write(JSON.stringify(result) + '\n');
process.exit(0);
