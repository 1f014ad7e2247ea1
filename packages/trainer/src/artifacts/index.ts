export { generateArtifacts } from './generate';
export type { ArtifactOptions, ArtifactPaths } from './generate';
export { ARTIFACT_FILES } from './layout';
