/**
 * Inline findings in CodeMirror 6: the underline (`.nbguard-underline`), the
 * gutter marker and the hover tooltip come from `@codemirror/lint`, fed with
 * `setDiagnostics` whenever the server answers (the approach of jupyterlab-lsp).
 *
 * Findings are kept per cell *model* (the editor's `options.model` is the cell
 * model), so an editor created later (windowed notebooks create editors as cells
 * scroll into view) picks up its cell's findings when it starts.
 */
import { Diagnostic, lintGutter, setDiagnostics } from '@codemirror/lint';
import { Compartment, Extension, Text } from '@codemirror/state';
import { EditorView, ViewPlugin } from '@codemirror/view';
import { CodeEditor } from '@jupyterlab/codeeditor';
import { EditorExtensionRegistry, IEditorExtensionFactory } from '@jupyterlab/codemirror';

import { cmSeverity, IFinding } from './tokens';

/** Renders the hover text of one finding. */
export type TooltipRenderer = (finding: IFinding) => HTMLElement;

/** The source findings of each cell, pushed into that cell's editors. */
export class DiagnosticsStore {
  constructor(private _render: TooltipRenderer) {}

  /** Replace the findings of one cell (an empty list clears them). */
  set(model: CodeEditor.IModel, findings: IFinding[]): void {
    const old = this._findings.get(model);
    if ((!old || old.length === 0) && findings.length === 0) {
      return;
    }
    if (old && sameFindings(old, findings)) {
      return; // unchanged: keep the editor as it is (an open tooltip stays open)
    }
    if (findings.length === 0) {
      this._findings.delete(model);
    } else {
      this._findings.set(model, findings);
    }
    for (const view of this._views.get(model) ?? []) {
      this._apply(view, model);
    }
  }

  get(model: CodeEditor.IModel): IFinding[] {
    return this._findings.get(model) ?? [];
  }

  /** The editor extension to register with `IEditorExtensionRegistry`. */
  factory(): IEditorExtensionFactory {
    return {
      name: 'nbguard:diagnostics',
      factory: options => EditorExtensionRegistry.createImmutableExtension(this._extension(options.model))
    };
  }

  private _extension(model: CodeEditor.IModel): Extension {
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const store = this;
    const plugin = ViewPlugin.define(view => {
      store._attach(model, view);
      return {
        destroy: () => store._detach(model, view)
      };
    });
    return [this._gutter.of([]), plugin];
  }

  private _attach(model: CodeEditor.IModel, view: EditorView): void {
    let views = this._views.get(model);
    if (!views) {
      views = new Set();
      this._views.set(model, views);
    }
    views.add(view);
    if (this._findings.has(model)) {
      // no dispatch while the view is being built
      setTimeout(() => {
        if (this._views.get(model)?.has(view)) {
          this._apply(view, model);
        }
      }, 0);
    }
  }

  private _detach(model: CodeEditor.IModel, view: EditorView): void {
    const views = this._views.get(model);
    views?.delete(view);
    if (views && views.size === 0) {
      this._views.delete(model);
    }
    this._gutterOn.delete(view);
  }

  private _apply(view: EditorView, model: CodeEditor.IModel): void {
    const findings = this._findings.get(model) ?? [];
    const diagnostics = findings.map(f => this._diagnostic(view.state.doc, f));
    const wantGutter = diagnostics.length > 0;
    if (wantGutter !== (this._gutterOn.get(view) ?? false)) {
      this._gutterOn.set(view, wantGutter);
      view.dispatch({ effects: this._gutter.reconfigure(wantGutter ? lintGutter() : []) });
    }
    view.dispatch(setDiagnostics(view.state, diagnostics));
  }

  private _diagnostic(doc: Text, f: IFinding): Diagnostic {
    let from = offset(doc, f.line, f.column);
    let to = offset(doc, f.end_line, f.end_column);
    if (to <= from) {
      to = Math.min(from + 1, doc.length);
      if (to <= from) {
        from = Math.max(0, to - 1);
      }
    }
    return {
      from,
      to,
      severity: cmSeverity(f.severity),
      source: 'nbguard',
      markClass: `nbguard-underline nbguard-underline-${f.severity}`,
      message: `${f.rule} ${f.message}`,
      renderMessage: () => this._render(f)
    };
  }

  private _findings = new WeakMap<CodeEditor.IModel, IFinding[]>();
  private _views = new Map<CodeEditor.IModel, Set<EditorView>>();
  private _gutter = new Compartment();
  private _gutterOn = new WeakMap<EditorView, boolean>();
}

function sameFindings(a: IFinding[], b: IFinding[]): boolean {
  return a.length === b.length && a.every((f, i) => JSON.stringify(f) === JSON.stringify(b[i]));
}

/**
 * Document offset of a 1-based line and a 1-based column counted in code points
 * (as Python counts), clamped to the document.
 */
export function offset(doc: Text, line: number, column: number): number {
  if (line < 1) {
    return 0;
  }
  if (line > doc.lines) {
    return doc.length;
  }
  const l = doc.line(line);
  const text = l.text;
  let units = 0;
  for (let cp = 1; cp < column && units < text.length; cp++) {
    const c = text.charCodeAt(units);
    units += c >= 0xd800 && c <= 0xdbff && units + 1 < text.length ? 2 : 1;
  }
  return l.from + units;
}
