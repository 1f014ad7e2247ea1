export { CHECKPOINT_MAGIC, CHECKPOINT_VERSION, CheckpointError, checkpointParts, decodeCheckpoint, encodeCheckpoint } from './format';
export { readFileNamed, writeFileAtomic } from './file';
export { CheckpointLock } from './lock';
