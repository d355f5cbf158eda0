#!/usr/bin/env node
// Stands in for a TensorFlow ParameterServerStrategy replica: validates TF_CONFIG the way
// tf.distribute.cluster_resolver.TFConfigClusterResolver reads it, then does the rendezvous over
// TCP. A PS listens on its own cluster address until stopped; the chief and workers connect to
// every PS, report a metric line and exit 0. Exit 2 = invalid TF_CONFIG, 3 = rendezvous failed.
import net from 'node:net';

function fail(code, msg) {
  console.error(`TF_CONFIG check failed: ${msg}`);
  process.exit(code);
}

let cfg;
try {
  cfg = JSON.parse(process.env.TF_CONFIG ?? '');
} catch {
  fail(2, 'TF_CONFIG is not JSON');
}
const { cluster, task } = cfg ?? {};
if (!cluster || typeof cluster !== 'object') fail(2, 'no cluster');
if (!task || typeof task.type !== 'string' || !Number.isInteger(task.index)) fail(2, 'no task {type, index}');
const known = ['chief', 'master', 'ps', 'worker', 'evaluator'];
for (const [type, addrs] of Object.entries(cluster)) {
  if (!known.includes(type)) fail(2, `unknown task type "${type}" in cluster`);
  if (!Array.isArray(addrs) || addrs.some((a) => !/^[^:]+:\d+$/.test(a))) fail(2, `cluster.${type} must be host:port strings`);
}
if ((cluster.chief ?? []).length > 1) fail(2, 'more than one chief');
if (task.type !== 'evaluator' && !(task.index < (cluster[task.type] ?? []).length)) fail(2, `task ${task.type}:${task.index} is not in the cluster`);
if (!cluster.ps?.length) fail(2, 'a parameter-server job needs cluster.ps');
const all = Object.values(cluster).flat();
if (new Set(all).size !== all.length) fail(2, 'two tasks share an address');
console.log(`TF_CONFIG ok: ${task.type}:${task.index} in ${Object.entries(cluster).map(([t, a]) => `${a.length} ${t}`).join(', ')}`);

const [host, port] = (task.type === 'evaluator' ? '' : cluster[task.type][task.index]).split(':');
if (task.type === 'ps') {
  let peers = 0;
  const server = net.createServer((s) => {
    peers++;
    s.end(`ps:${task.index}\n`);
  });
  server.listen(Number(port), host, () => console.log(`ps ${task.index} serving on ${host}:${port}`));
  process.on('SIGTERM', () => {
    console.log(`ps ${task.index} stopping after ${peers} connection(s)`);
    server.close(() => process.exit(0));
  });
} else {
  const deadline = Date.now() + 60_000;
  const connect = (addr) => new Promise((resolve, reject) => {
    const [h, p] = addr.split(':');
    const attempt = () => {
      const s = net.connect(Number(p), h);
      s.once('data', (d) => { s.destroy(); resolve(String(d).trim()); });
      s.once('error', () => (Date.now() > deadline ? reject(new Error(`${addr} unreachable`)) : setTimeout(attempt, 100)));
    };
    attempt();
  });
  try {
    const answers = await Promise.all(cluster.ps.map(connect));
    console.log(`${task.type} ${task.index} reached ${answers.join(', ')}`);
    console.log(`CAPSTAN_METRIC ${JSON.stringify({ step: 1, ps_reached: answers.length })}`);
  } catch (err) {
    fail(3, err.message);
  }
}
