/**
 * A second berth process for the MetadataStore suite's concurrency tests:
 *   node store-child.js <module url> <factory export> <root> <start at ms> <task> <args...>
 * It waits until `start at` so that every child starts its task at the same moment.
 */
import { isAlreadyExists } from '../../../base/index.js';
import type { MetadataStore } from '../index.js';
import { compressedLayer, containerRecord, idOf } from './records.js';

const [moduleUrl = '', factory = '', root = '', startAt = '0', task = '', ...args] = process.argv.slice(2);
const create = (await import(moduleUrl) as Record<string, (root: string) => MetadataStore>)[factory];
if (!create) throw new Error(`${moduleUrl} has no export "${factory}"`);
const store = create(root);
while (Date.now() < Number(startAt)) { /* spin: start together with the other children */ }

if (task === 'claim-names') {
  // args: <id prefix> <count>: creates containers race-0 … race-<count-1>; prints which it won.
  const won: boolean[] = [];
  for (let i = 0; i < Number(args[1]); i++) {
    try {
      store.createContainer(containerRecord(idOf(`${args[0] ?? ''}${i.toString(16).padStart(4, '0')}`), `race-${i}`));
      won.push(true);
    } catch (err) {
      if (!isAlreadyExists(err)) throw err;
      won.push(false);
    }
  }
  process.stdout.write(JSON.stringify(won));
} else if (task === 'increment') {
  // args: <container id> <count>: adds 1 to state.exitCode <count> times.
  for (let i = 0; i < Number(args[1]); i++) store.updateContainer(args[0] ?? '', (r) => void (r.state.exitCode += 1));
} else if (task === 'churn') {
  // args: <prefix>: creates, renames, updates and deletes containers <prefix>-0 … <prefix>-7 until killed.
  const prefix = args[0] ?? '';
  const live = new Set<string>();
  for (let i = 0; ; i++) {
    const id = idOf(`${prefix}${(i % 8).toString(16)}`);
    const name = `${prefix}-${i % 8}`;
    if (!live.has(id)) store.createContainer(containerRecord(id, name));
    live.add(id);
    store.updateContainer(id, (r) => void (r.name = r.name === name ? `${name}-x` : name));
    store.updateContainer(id, (r) => void (r.state.exitCode = i));
    if (i % 3 === 0) {
      store.deleteContainer(id);
      live.delete(id);
    }
    // Tells the test it is in the middle of its work (pipes are written synchronously on Linux).
    if (i === 16) process.stdout.write('churning\n');
  }
} else if (task === 'add-sources') {
  // args: <compressed hex prefix> <source prefix> <count>: records the blob <count> times, one new source each.
  for (let i = 0; i < Number(args[2]); i++) store.putCompressedLayer(compressedLayer(args[0] ?? '', 'dd', [`registry.example/${args[1] ?? ''}-${i}`]));
} else if (task === 'churn-layers') {
  // args: <hex digit>: records new compressed forms of layers <digit>0… <digit>3 and forgets them, until
  // killed; prints `<compressed hex prefix> <diff hex prefix>` before recording each.
  const digit = args[0] ?? '';
  for (let i = 0; ; i++) {
    const diff = `${digit}${i % 4}`;
    const compressed = `${diff}c${i.toString(16).padStart(6, '0')}`;
    process.stdout.write(`${compressed} ${diff}\n`);
    store.putCompressedLayer(compressedLayer(compressed, diff, [`r/${i % 5}`]));
    if (i % 9 === 8) store.deleteCompressedLayers(`sha256:${diff.padEnd(64, '0')}`);
  }
} else {
  throw new Error(`Unknown task "${task}"`);
}
store.close();
