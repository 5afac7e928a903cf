/**
 * Docker's container.Config as dockerd serves it in `inspect` (containers' Config, images' Config
 * and ContainerConfig): its fields in Go's order, the plain ones always (null, '' or false when
 * unset: Docker's nulls for an imported image), the `omitempty` ones only when set.
 */
import type { ImageRuntimeConfig } from '../oci/index.js';
import { goMap } from './go-map.js';

type ConfigInput = ImageRuntimeConfig & {
  Hostname?: string;
  Domainname?: string;
  Image?: string;
  Tty?: boolean;
  OpenStdin?: boolean;
  StdinOnce?: boolean;
  AttachStdin?: boolean;
  AttachStdout?: boolean;
  AttachStderr?: boolean;
  StopTimeout?: number;
};

/** `defaults` replace the nulls of unset fields (a container's Labels are `{}`, an image's null). */
export function dockerConfigView(config: ConfigInput | undefined, defaults: { Labels?: Record<string, string> | null } = {}) {
  const c: ConfigInput = config ?? {};
  const nonEmpty = <T>(v: T[] | undefined | null): T[] | null => (v && v.length > 0 ? v : null);
  const nonEmptyMap = <T>(v: Record<string, T> | undefined): Record<string, T> | null => (v && Object.keys(v).length > 0 ? goMap(v) : null);
  return {
    Hostname: c.Hostname ?? '',
    Domainname: c.Domainname ?? '',
    User: c.User ?? '',
    AttachStdin: c.AttachStdin ?? false,
    AttachStdout: c.AttachStdout ?? false,
    AttachStderr: c.AttachStderr ?? false,
    ...(c.ExposedPorts && Object.keys(c.ExposedPorts).length > 0 ? { ExposedPorts: goMap(c.ExposedPorts) } : {}),
    Tty: c.Tty ?? false,
    OpenStdin: c.OpenStdin ?? false,
    StdinOnce: c.StdinOnce ?? false,
    Env: nonEmpty(c.Env),
    Cmd: nonEmpty(c.Cmd),
    ...(c.Healthcheck ? { Healthcheck: c.Healthcheck } : {}),
    ...(c.ArgsEscaped ? { ArgsEscaped: true } : {}),
    Image: c.Image ?? '',
    Volumes: nonEmptyMap(c.Volumes),
    WorkingDir: c.WorkingDir ?? '',
    Entrypoint: nonEmpty(c.Entrypoint),
    OnBuild: nonEmpty(c.OnBuild),
    Labels: c.Labels ? goMap(c.Labels) : defaults.Labels ?? null,
    ...(c.StopSignal ? { StopSignal: c.StopSignal } : {}),
    ...(c.StopTimeout !== undefined ? { StopTimeout: c.StopTimeout } : {}),
    ...(c.Shell && c.Shell.length > 0 ? { Shell: c.Shell } : {}),
  };
}
