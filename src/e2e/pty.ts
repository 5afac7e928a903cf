import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';

/**
 * Runs `argv` on a pseudo-terminal of `columns` columns (python3's pty module, as the -it tests
 * do) and returns everything it wrote there, and its exit code. `input` is typed on the terminal:
 * each text at its time (seconds after the start); without it nothing is written.
 */
export function onTerminal(argv: string[], env: Record<string, string>, columns = 120, input: [seconds: number, text: string][] = []): { output: string; code: number } {
  const script = `
import os, pty, sys, select, struct, fcntl, termios, json, time
inputs = json.loads(sys.argv[2])
pid, fd = pty.fork()
if pid == 0:
    os.execv(sys.argv[3], sys.argv[3:])
fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack('HHHH', 30, int(sys.argv[1]), 0, 0))
out = b''
start = time.time()
while True:
    while inputs and time.time() - start >= inputs[0][0]:
        os.write(fd, inputs.pop(0)[1].encode('utf8'))
    r, _, _ = select.select([fd], [], [], 0.05)
    if r:
        try: d = os.read(fd, 65536)
        except OSError: break
        if not d: break
        out += d
_, status = os.waitpid(pid, 0)
sys.stdout.write(json.dumps({'output': out.decode('utf8', 'replace'), 'code': os.waitstatus_to_exitcode(status)}))
`;
  const r = spawnSync('python3', ['-c', script, String(columns), JSON.stringify(input), ...argv], { env: { ...process.env, ...env }, timeout: 120_000, maxBuffer: 64 << 20 });
  assert.equal(r.status, 0, r.stderr.toString());
  return JSON.parse(r.stdout.toString()) as { output: string; code: number };
}
