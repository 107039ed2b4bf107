/** Error raised by the expression languages (expr-lang, govaluate) and tag substitution. */
export class ExprError extends Error {
  /** 0-based character offset in the source, when known. */
  readonly pos: number | undefined;
  /** The source text of the expression, when known. */
  readonly source: string | undefined;

  constructor(message: string, source?: string, pos?: number) {
    super(source !== undefined && pos !== undefined ? `${message} ${lineCol(source, pos)}` : message);
    this.name = 'ExprError';
    this.pos = pos;
    this.source = source;
  }
}

/** Raised by `{{…}}` substitution (unresolved variables, bad JSON …). */
export class TemplateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TemplateError';
  }
}

/** `(line:column)`, both 1-based, as expr-lang prints positions. */
export function lineCol(source: string, pos: number): string {
  let line = 1;
  let col = 1;
  const end = Math.min(pos, source.length);
  for (let i = 0; i < end; i++) {
    if (source.charCodeAt(i) === 10) {
      line++;
      col = 1;
    } else col++;
  }
  return `(${line}:${col})`;
}
