// Ops through which no gradient flows: shape computations, comparisons, logic, index producers, and the
// piecewise-constant ops whose derivative is zero wherever it exists (torch returns zeros for them too).
export const NO_GRADIENT: ReadonlySet<string> = new Set(
  ('Shape Size Constant ConstantOfShape Range Equal Less Greater LessOrEqual GreaterOrEqual Not And Or Xor NonZero ' +
    'ArgMax ArgMin IsNaN IsInf EyeLike OneHot RandomNormal RandomNormalLike RandomUniform RandomUniformLike Bernoulli ' +
    'Multinomial Floor Ceil Round Sign BitShift BitwiseAnd BitwiseOr BitwiseXor BitwiseNot Hardmax Mod TopK_indices ' +
    'StringNormalizer RegexFullMatch').split(' '),
);
