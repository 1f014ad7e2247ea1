// @ortrain/wrappers: SAM/ASAM, Lookahead and Scout over any optimizer. Filled in by issue 8.
export {};
