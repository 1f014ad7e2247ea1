export { CHECKPOINT_MAGIC, CHECKPOINT_VERSION, CheckpointError, decodeCheckpoint, encodeCheckpoint } from './format';
export { readFileNamed, writeFileAtomic } from './file';
export { CheckpointLock } from './lock';
