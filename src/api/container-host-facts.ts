/**
 * What `docker inspect CONTAINER` shows that the container's record does not hold: where its
 * files are on the engine's host and what it runs under. The engine answers it
 * (`ContainerEngine.hostFacts`); the inspect view prints it in Docker's fields.
 */
export interface ContainerHostFacts {
  /** Docker's ResolvConfPath, HostnamePath, HostsPath: the files bind-mounted into it ('' before its first start). */
  resolvConfPath: string;
  hostnamePath: string;
  hostsPath: string;
  /** Its json-file log ('' before its first start, as dockerd). */
  logPath: string;
  /** Docker's GraphDriver.Data: its overlay's lower layers (`:`-joined), merged root, upper and work directories. */
  graphDriver: { LowerDir?: string; MergedDir: string; UpperDir: string; WorkDir: string } | null;
  /** The OCI runtime it runs under (the default resolved: crun, else runc). */
  runtime: string;
  /** Each named volume's directory on the host, for Mounts[].Source. */
  volumeSources: Record<string, string>;
}

/** What `docker inspect IMAGE` and `docker history` show beyond the image's manifest and config (`ImageEngine.hostFacts`). */
export interface ImageHostFacts {
  /** GraphDriver.Data: its unpacked layers' directories (null while it was never unpacked). */
  graphDriver: { LowerDir?: string; MergedDir: string; UpperDir: string; WorkDir: string } | null;
  /** Metadata.LastTagTime: when a name last pointed at it (Docker's zero time if never). */
  lastTagTime: string;
  /** Each layer's unpacked bytes, bottom first: Docker's layer sizes (`history`). */
  layerSizes: number[];
}
