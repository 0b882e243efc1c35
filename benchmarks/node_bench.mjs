#!/usr/bin/env node
/*
 * The bench's timing of the test suite's independent verifier (tests/interop/verify.mjs, Digital Bazaar's
 * libraries): the same `runJob` the interop tests drive, over a batch of copies of one credential, in this one
 * node process (so node's start-up is not in the figures; it is reported on its own).
 *
 * Job on stdin: {"count": N, "cases": [{"key": "...", "kind": "award|endorsement|clr", "file": "/path.json",
 *                "count": N for this case (optional)}]}
 * Prints: {"node": version, "startup_seconds": s, "startup_cpu_seconds": s, "results": [{"key", "ops", "cpu_seconds", "wall_seconds",
 *          "verified", "errors"}]}
 * Each case is verified once first (untimed; it fetches the DID documents and status lists over loopback, kept
 * for the rest of the run, as verify.mjs keeps them), then N times, timed.
 */
import {readFileSync} from 'node:fs';

import {makeLoader, runJob} from '../tests/interop/verify.mjs';

const startup = process.uptime(); // node itself and every library, loaded
const startupCpu = process.cpuUsage();

function allVerified(results) {
  return results.every(r => r.verified && allVerified(r.nested || []));
}

function firstErrors(results) {
  for(const r of results) {
    if(!r.verified) {
      return [r.name, ...r.errors].slice(0, 5);
    }
    const nested = firstErrors(r.nested || []);
    if(nested.length) {
      return nested;
    }
  }
  return [];
}

async function timeCase(loader, {key, kind, file}, count) {
  const document = JSON.parse(readFileSync(file, 'utf8'));
  const one = {name: key, kind, document};
  const first = await runJob({credentials: [one], checkStatus: false}, loader);
  const cpu = process.cpuUsage();
  const start = process.hrtime.bigint();
  const batch = await runJob({credentials: Array.from({length: count}, () => one), checkStatus: false}, loader);
  const wall = Number(process.hrtime.bigint() - start) / 1e9;
  const used = process.cpuUsage(cpu);
  const results = [...first.results, ...batch.results];
  return {
    key, ops: count, cpu_seconds: (used.user + used.system) / 1e6, wall_seconds: wall,
    verified: allVerified(results), errors: firstErrors(results),
  };
}

async function readStdin() {
  const chunks = [];
  for await (const chunk of process.stdin) {
    chunks.push(chunk);
  }
  return JSON.parse(Buffer.concat(chunks).toString('utf8'));
}

const job = await readStdin();
const loader = makeLoader();
const results = [];
for(const item of job.cases) {
  results.push(await timeCase(loader, item, item.count ?? job.count));
}
process.stdout.write(JSON.stringify({
  node: process.version, startup_seconds: startup,
  startup_cpu_seconds: (startupCpu.user + startupCpu.system) / 1e6, results,
}) + '\n');
