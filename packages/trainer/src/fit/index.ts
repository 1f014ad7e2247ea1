export { fit } from './fit';
export type { EpochInfo, EpochRecord, FitHistory, FitOptions, StepInfo, UpdateRecord } from './fit';
export type { FitDamper } from './damper';
export { accuracy } from './metrics';
export type { Metric } from './metrics';
export { datasetGradients, datasetLoss, evaluate } from './passes';
