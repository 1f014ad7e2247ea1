import { KIND_FIELD, attributeKind } from './attributes';
import { REQUIRED_ATTRIBUTES, opAttributes, opAvailability } from './ops';
import type { AttrKind } from './ops';
import type { AttributeProto, FunctionProto, GraphProto, ModelProto, NodeProto } from './proto';

/** Thrown by validateModel; `problems` lists every problem found, each naming the node and the value. */
export class ModelValidationError extends Error {
  constructor(readonly problems: string[]) {
    super(`model is not valid (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n- ${problems.join('\n- ')}`);
    this.name = 'ModelValidationError';
  }
}

/** Throws a ModelValidationError when findModelProblems finds anything. */
export function validateModel(model: ModelProto): void {
  const problems = findModelProblems(model);
  if (problems.length > 0) throw new ModelValidationError(problems);
}

/**
 * Checks a model's structure: every node input defined before use (in subgraphs, enclosing scopes count),
 * no value written twice, every graph output defined, every operator known in the imported opset, attribute
 * names and kinds right for that opset, and every AttributeProto's type matching the field it fills.
 */
export function findModelProblems(model: ModelProto): string[] {
  const problems: string[] = [];
  if (!model.graph) return ['model has no graph'];
  const opsets = new Map<string, number>();
  for (const o of model.opsetImport ?? []) {
    const domain = normalDomain(o.domain);
    if (opsets.has(domain)) problems.push(`model: opset_import lists domain '${domain || 'ai.onnx'}' twice`);
    opsets.set(domain, o.version ?? 0);
  }
  const functions = new Set((model.functions ?? []).map((f) => `${normalDomain(f.domain)}:${f.name}`));
  const checker = new Checker(problems, opsets, functions);
  checker.graph(model.graph, `graph '${model.graph.name ?? ''}'`, []);
  for (const f of model.functions ?? []) checker.function(f);
  return problems;
}

const normalDomain = (d: string | undefined) => (d === 'ai.onnx' ? '' : d ?? '');

class Checker {
  constructor(
    private readonly problems: string[],
    private opsets: Map<string, number>,
    private readonly functions: Set<string>,
  ) {}

  /** Inside a function body, attributes may refer to the function's own attributes. */
  private inFunction = false;

  /** Checks one graph; `outer` holds the names the enclosing graphs define before this one's node. */
  graph(g: GraphProto, where: string, outer: ReadonlySet<string>[]): void {
    const defined = new Set<string>();
    const seenInputs = new Set<string>();
    // As in onnx.checker, inputs and initializers may reuse an enclosing graph's names; node outputs may not.
    for (const inp of g.input ?? []) {
      const name = inp.name ?? '';
      if (!name) this.problems.push(`${where}: a graph input has no name`);
      else if (seenInputs.has(name)) this.problems.push(`${where}: graph input '${name}' is listed twice`);
      defined.add(name);
      seenInputs.add(name);
    }
    const seenInitializers = new Set<string>();
    const initializerNames = [...(g.initializer ?? []).map((t) => t.name ?? ''), ...(g.sparseInitializer ?? []).map((t) => t.values?.name ?? '')];
    for (const name of initializerNames) {
      if (!name) this.problems.push(`${where}: an initializer has no name`);
      else if (seenInitializers.has(name)) this.problems.push(`${where}: initializer '${name}' is listed twice`);
      // An initializer may also be listed as a graph input (its default value).
      defined.add(name);
      seenInitializers.add(name);
    }
    (g.node ?? []).forEach((node, index) => {
      const at = `${where}: ${describeNode(node, index)}`;
      for (const input of node.input ?? []) {
        if (input === '') continue; // an omitted optional input
        if (!defined.has(input) && !outer.some((s) => s.has(input))) this.problems.push(`${at}: input '${input}' is not defined before use`);
      }
      this.node(node, at, [...outer, defined]);
      for (const output of node.output ?? []) {
        if (output === '') continue; // an omitted optional output
        if (defined.has(output)) this.problems.push(`${at}: output '${output}' is already defined (written twice)`);
        else if (outer.some((s) => s.has(output))) this.problems.push(`${at}: output '${output}' is already defined in an enclosing graph (written twice)`);
        defined.add(output);
      }
    });
    const seenOutputs = new Set<string>();
    for (const out of g.output ?? []) {
      const name = out.name ?? '';
      if (seenOutputs.has(name)) this.problems.push(`${where}: graph output '${name}' is listed twice`);
      seenOutputs.add(name);
      if (!defined.has(name) && !outer.some((s) => s.has(name))) this.problems.push(`${where}: graph output '${name}' is not defined by any input, initializer or node`);
    }
  }

  /** Checks a model-local function: its body as a graph whose inputs are the function's inputs. */
  function(f: FunctionProto): void {
    const saved = this.opsets;
    if (f.opsetImport && f.opsetImport.length > 0) {
      this.opsets = new Map(f.opsetImport.map((o) => [normalDomain(o.domain), o.version ?? 0]));
    }
    const where = `function '${f.name ?? ''}'`;
    this.inFunction = true;
    this.graph({
      node: f.node,
      input: (f.input ?? []).map((name) => ({ name })),
      output: (f.output ?? []).map((name) => ({ name })),
    }, where, []);
    this.opsets = saved;
    this.inFunction = false;
  }

  private node(node: NodeProto, at: string, scopes: ReadonlySet<string>[]): void {
    const opType = node.opType ?? '';
    const domain = normalDomain(node.domain);
    const version = this.opsets.get(domain);
    if (!opType) this.problems.push(`${at}: the node has no op_type`);
    else if (this.functions.has(`${domain}:${opType}`)) {
      // A call of a function of this model: its own body is checked separately.
    } else if (version === undefined) {
      this.problems.push(`${at}: the model has no opset_import for domain '${domain || 'ai.onnx'}' of operator ${opType}`);
    } else if (domain === '') {
      const known = opAvailability(opType, version);
      if (!known.known) this.problems.push(`${at}: operator ${opType} ${known.reason}`);
    }
    const schema = domain === '' && version !== undefined ? opAttributes(opType, version) : undefined;
    const names = new Set<string>();
    for (const attr of node.attribute ?? []) {
      const name = attr.name ?? '';
      if (!name) { this.problems.push(`${at}: an attribute has no name`); continue; }
      if (names.has(name)) this.problems.push(`${at}: attribute '${name}' is given twice`);
      names.add(name);
      const kind = this.attributeFields(attr, at);
      if (schema && kind) {
        const want = schema[name];
        if (want === undefined) {
          const known = Object.keys(schema).sort();
          this.problems.push(`${at}: attribute '${name}' is not an attribute of ${opType} at opset ${version}` +
            (known.length ? ` (it has ${known.join(', ')})` : ' (it has none)'));
        } else if (want !== kind) {
          this.problems.push(`${at}: attribute '${name}' is ${kind}, ${opType} wants ${want}`);
        }
      }
      for (const [sub, label] of subgraphs(attr)) this.graph(sub, `${at} > ${label} graph '${sub.name ?? ''}'`, scopes);
    }
    if (domain === '' && version !== undefined) {
      for (const req of REQUIRED_ATTRIBUTES) {
        if (req.op === opType && version >= (req.from ?? 0) && !names.has(req.attr)) {
          this.problems.push(`${at}: required attribute '${req.attr}' is missing`);
        }
      }
      if (opType === 'Constant' && (node.attribute ?? []).length !== 1) {
        this.problems.push(`${at}: a Constant needs exactly one value attribute, it has ${(node.attribute ?? []).length}`);
      }
    }
  }

  /** Checks that the attribute's declared type matches the one field it fills; returns its kind. */
  private attributeFields(attr: AttributeProto, at: string): AttrKind | undefined {
    const name = attr.name;
    if (attr.refAttrName) {
      if (this.inFunction) return undefined;
      this.problems.push(`${at}: attribute '${name}' refers to '${attr.refAttrName}', which only a function body may do`);
      return undefined;
    }
    const kind = attributeKind(attr.type);
    const filled = (Object.entries(KIND_FIELD) as [AttrKind, keyof AttributeProto][])
      .filter(([k, field]) => isFilled(attr[field], k))
      .map(([k]) => k);
    if (!kind) {
      this.problems.push(`${at}: attribute '${name}' has no valid type (type ${attr.type ?? 'unset'}${filled.length ? `, fills ${filled.join(', ')}` : ''})`);
      return undefined;
    }
    const scalar = !kind.endsWith('s');
    if (scalar && !filled.includes(kind)) {
      this.problems.push(`${at}: attribute '${name}' is of type ${kind} but its ${KIND_FIELD[kind]} field is not set` +
        (filled.length ? ` (it fills ${filled.join(', ')})` : ''));
    }
    const others = filled.filter((k) => k !== kind);
    if (others.length > 0 && (!scalar || filled.includes(kind))) {
      this.problems.push(`${at}: attribute '${name}' is of type ${kind} but also fills ${others.join(', ')}`);
    }
    return kind;
  }
}

function isFilled(value: unknown, kind: AttrKind): boolean {
  if (value === undefined || value === null) return false;
  // Repeated fields: an empty list is the same as an absent one on the wire.
  if (kind.endsWith('s') && Array.isArray(value)) return value.length > 0;
  return true;
}

function subgraphs(attr: AttributeProto): [GraphProto, string][] {
  const out: [GraphProto, string][] = [];
  if (attr.g) out.push([attr.g, attr.name ?? '']);
  (attr.graphs ?? []).forEach((g, i) => out.push([g, `${attr.name ?? ''}[${i}]`]));
  return out;
}

function describeNode(node: NodeProto, index: number): string {
  const op = `${node.domain && node.domain !== 'ai.onnx' ? node.domain + '.' : ''}${node.opType ?? '?'}`;
  return node.name ? `node '${node.name}' (${op})` : `node #${index} (${op})`;
}
