/**
 * The detach-key matcher the attached clients share (berth's own attach, the remote CLI): bytes
 * that may begin the detach sequence are held back until it is clear they do not, as the docker
 * CLI does on its side.
 */
export function detachKeyFilter(detachKeys: Buffer | undefined): (chunk: Buffer) => { forward: Buffer | undefined; detached: boolean } {
  let matched = 0;
  return (chunk) => {
    if (!detachKeys || detachKeys.length === 0) return { forward: chunk, detached: false };
    const out: number[] = [];
    for (const byte of chunk) {
      if (byte === detachKeys[matched]) {
        matched++;
        if (matched === detachKeys.length) return { forward: out.length ? Buffer.from(out) : undefined, detached: true };
        continue;
      }
      if (matched > 0) {
        out.push(...detachKeys.subarray(0, matched));
        matched = 0;
        if (byte === detachKeys[0]) {
          matched = 1;
          continue;
        }
      }
      out.push(byte);
    }
    return { forward: out.length ? Buffer.from(out) : undefined, detached: false };
  };
}
