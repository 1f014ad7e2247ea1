import { attributeValue } from '@ortrain/graph-builder';
import type { NodeProto, TensorProto } from '@ortrain/graph-builder';

/** Reads a node's attributes by name, with defaults. */
export class NodeAttrs {
  private readonly map = new Map<string, unknown>();

  constructor(readonly node: NodeProto) {
    for (const a of node.attribute ?? []) this.map.set(a.name ?? '', attributeValue(a));
  }

  has(name: string): boolean {
    return this.map.has(name);
  }
  int(name: string, fallback: number): number {
    const v = this.map.get(name);
    return v === undefined ? fallback : Number(v);
  }
  float(name: string, fallback: number): number {
    const v = this.map.get(name);
    return v === undefined ? fallback : Number(v);
  }
  string(name: string, fallback: string): string {
    const v = this.map.get(name);
    return v === undefined ? fallback : String(v);
  }
  ints(name: string): number[] | undefined {
    const v = this.map.get(name);
    return v === undefined ? undefined : (v as (number | bigint)[]).map(Number);
  }
  tensor(name: string): TensorProto | undefined {
    return this.map.get(name) as TensorProto | undefined;
  }
}

/** 'Conv "conv1"': how errors name a node. */
export function describeNode(node: NodeProto): string {
  return `${node.opType} node '${node.name || node.output?.[0] || '?'}'`;
}
