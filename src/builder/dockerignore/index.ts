// The matcher is the api module's (the remote engine's build context applies it too); finding the file is the builder's.
export { cleanPath, DockerignoreMatcher, parseDockerignore } from '../../api/index.js';
export { findDockerignore, dockerignoreCandidates } from './find-dockerignore.js';
export type { FoundDockerignore } from './find-dockerignore.js';
