export { ExprError, TemplateError } from './errors.js';
export {
  compileExpr, evalExpr, runCompiled, toArgoString, toJSONText, formatValue, referencedNames, argoFuncs,
  type CompiledExpr, type EvalOptions,
} from './exprlang.js';
export { Duration, GoTime, formatFloat, formatDuration, parseDuration, toGoJSON, goRegex } from './gotypes.js';
export { jsonPathQuery } from './jsonpath.js';
export { sprigFuncs } from './sprig.js';
export { evalWhen, evalGovaluate } from './govaluate.js';
export {
  replaceTags, replaceTagsInJSON, substituteObject, findTags, buildExprEnv, exprResultToString,
  type TemplateVars, type ReplaceOptions,
} from './template.js';
