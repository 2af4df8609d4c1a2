// The official CogRPC client (@relaycorp/cogrpc) as ONE long-lived process, for the Internet-sync
// bench: it makes the calls it is told, one JSON command per line on stdin, one answer per line.
//   {"open": "HOST:PORT"}     -> {"ok": true}   (initLan: pins the gateway's self-signed certificate)
//   {"deliver": [FILE, ...]}  -> {"acked": [FILE, ...], "error"?: "..."}   (one DeliverCargo call)
//   {"close": true}           -> {"ok": true}
import { readFileSync } from 'node:fs';
import readline from 'node:readline';
import cogrpc from '@relaycorp/cogrpc';

const { CogRPCClient } = cogrpc;
let client = null;

async function* relays(files) {
  for (const file of files) {
    yield { localId: file, cargo: readFileSync(file) };
  }
}

async function deliver(files) {
  const acked = [];
  try {
    for await (const localId of client.deliverCargo(relays(files))) {
      acked.push(localId);
    }
  } catch (error) {
    return { acked, error: String(error) };  // cut: what was acked is still acked
  }
  return { acked };
}

const lines = readline.createInterface({ input: process.stdin });
for await (const line of lines) {
  const command = JSON.parse(line);
  let answer;
  if (command.open) {
    client = await CogRPCClient.initLan(command.open);
    answer = { ok: true };
  } else if (command.deliver) {
    answer = await deliver(command.deliver);
  } else if (command.close) {
    client?.close();
    client = null;
    answer = { ok: true };
  } else {
    answer = { error: `unknown command ${line}` };
  }
  process.stdout.write(JSON.stringify(answer) + '\n');
}
