export { generateArtifacts } from './generate';
export type { ArtifactOptions, ArtifactPaths } from './generate';
