/** What `writableReady` needs of a stream: Node's Writable and tar-stream's (streamx) entry sink both fit. */
interface Sink {
  on(event: 'drain' | 'close', listener: () => void): unknown;
  off(event: 'drain' | 'close', listener: () => void): unknown;
}

/** Waits until a stream that refused a write can take more (`drain`), or is gone (`close`). */
export function writableReady(sink: Sink): Promise<void> {
  return new Promise<void>((resolve) => {
    const go = () => {
      sink.off('drain', go);
      sink.off('close', go);
      resolve();
    };
    sink.on('drain', go);
    sink.on('close', go);
  });
}
