export { parseDockerignore } from './parse-dockerignore.js';
export { DockerignoreMatcher } from './pattern-matcher.js';
export { findDockerignore, dockerignoreCandidates } from './find-dockerignore.js';
export type { FoundDockerignore } from './find-dockerignore.js';
export { cleanPath } from './clean-path.js';
