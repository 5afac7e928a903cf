/** The .dockerignore rules (moby/patternmatcher's), shared by the builder and the remote engine's build context. */
export { parseDockerignore } from './parse-dockerignore.js';
export { DockerignoreMatcher } from './pattern-matcher.js';
export { cleanPath } from './clean-path.js';
