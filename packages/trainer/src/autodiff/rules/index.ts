import type { GradRule } from '../context';
import { activationRules } from './activation';
import { convRules } from './conv';
import { einsumRules } from './einsum';
import { elementwiseRules } from './elementwise';
import { gatherRules } from './gather';
import { matmulRules } from './matmul';
import { normRules } from './norm';
import { poolRules } from './pool';
import { recurrentRules } from './recurrent';
import { reduceRules } from './reduce';
import { resizeRules } from './resize';
import { shapeRules } from './shape';

export { NO_GRADIENT } from './nograd';

/** Every gradient rule by op type (ai.onnx domain). */
export const GRADIENT_RULES: Readonly<Record<string, GradRule>> = {
  ...elementwiseRules,
  ...activationRules,
  ...matmulRules,
  ...convRules,
  ...poolRules,
  ...normRules,
  ...shapeRules,
  ...reduceRules,
  ...gatherRules,
  ...recurrentRules,
  ...resizeRules,
  ...einsumRules,
};
