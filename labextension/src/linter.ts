/**
 * One `NotebookLinter` per open notebook: sends the notebook to the server on
 * open and after edits (debounced), keeps the latest answer, and shows it on the
 * cells (editor diagnostics and badges).
 *
 * Stale results never stay: every answer replaces all findings of the notebook
 * (cells without findings are cleared), and an answer is dropped when a newer
 * request was sent or the notebook changed after it was sent (a newer request
 * is then on its way).
 */
import { Cell, ICellModel } from '@jupyterlab/cells';
import { NotebookPanel } from '@jupyterlab/notebook';
import { ServerConnection } from '@jupyterlab/services';
import { ISignal, Signal } from '@lumino/signaling';

import { DiagnosticsStore } from './editor';
import { requestAPI } from './request';
import { IFinding, ILintReply, ISettings, location, wanted } from './tokens';

/** Output MIME types the server scans (nbguard/notebook.py TEXT_MIME). */
const TEXT_MIME = new Set([
  'text/plain',
  'text/html',
  'text/markdown',
  'text/latex',
  'application/json',
  'application/javascript',
  'text/x-python'
]);
const MAX_TEXT = 200_000; // characters per output field sent to the server

export type LintStatus = 'idle' | 'linting' | 'ok' | 'error' | 'disabled';

export interface ILinterHost {
  readonly settings: ISettings;
  readonly store: DiagnosticsStore;
  readonly serverSettings: ServerConnection.ISettings;
  badgeClicked(panel: NotebookPanel, finding: IFinding): void;
}

export class NotebookLinter {
  constructor(
    readonly panel: NotebookPanel,
    private _host: ILinterHost
  ) {
    const model = panel.content.model;
    model?.contentChanged.connect(this._onContentChanged, this);
    model?.cells.changed.connect(this._onContentChanged, this);
    panel.context.pathChanged.connect(this._onContentChanged, this);
  }

  /** Findings of the last answer that the settings let through. */
  get findings(): IFinding[] {
    const s = this._host.settings;
    return s.enabled ? this._findings.filter(f => wanted(f, s)) : [];
  }

  get status(): LintStatus {
    return this._host.settings.enabled ? this._status : 'disabled';
  }

  get error(): string | null {
    return this._error;
  }

  get lastReply(): ILintReply | null {
    return this._reply;
  }

  /** Emitted after findings, status or error changed. */
  get changed(): ISignal<this, void> {
    return this._changed;
  }

  get isDisposed(): boolean {
    return this._disposed;
  }

  dispose(): void {
    if (this._disposed) {
      return;
    }
    this._disposed = true;
    window.clearTimeout(this._timer);
    const model = this.panel.content.model;
    model?.contentChanged.disconnect(this._onContentChanged, this);
    model?.cells.changed.disconnect(this._onContentChanged, this);
    this.panel.context.pathChanged.disconnect(this._onContentChanged, this);
    for (const cell of this.panel.content.widgets) {
      this._host.store.set(cell.model, []);
    }
    Signal.clearData(this);
  }

  /** Lint after the debounce delay (restarted by every call). */
  schedule(): void {
    window.clearTimeout(this._timer);
    if (!this._host.settings.enabled || this._disposed) {
      return;
    }
    this._timer = window.setTimeout(() => void this.lint(), Math.max(0, this._host.settings.debounceDelay));
  }

  /** Lint now. */
  async lint(): Promise<void> {
    window.clearTimeout(this._timer);
    if (this._disposed || !this._host.settings.enabled || !this.panel.content.model) {
      return;
    }
    const seq = ++this._seq;
    const mark = this._changes;
    this._status = 'linting';
    this._changed.emit();
    let reply: ILintReply;
    try {
      reply = await requestAPI<ILintReply>(
        'lint',
        { method: 'POST', body: JSON.stringify(this._payload()) },
        this._host.serverSettings
      );
    } catch (error) {
      if (seq !== this._seq || this._disposed) {
        return;
      }
      this._findings = [];
      this._reply = null;
      this._status = 'error';
      this._error = (error as Error).message || String(error);
      console.warn('nbguard: lint request failed:', this._error);
      this.render();
      return;
    }
    if (seq !== this._seq || mark !== this._changes || this._disposed || reply.superseded) {
      return; // outdated: a newer request was sent, or will be after the debounce
    }
    this._findings = reply.findings;
    this._reply = reply;
    this._status = 'ok';
    this._error = reply.config_error ?? null;
    this.render();
  }

  /** Show the current findings on every cell: clear all, then apply. */
  render(): void {
    if (this._disposed) {
      return;
    }
    const findings = this.findings;
    const byId = new Map<string, IFinding[]>();
    const byIndex = new Map<number, IFinding[]>();
    for (const f of findings) {
      if (f.cell_id) {
        const list = byId.get(f.cell_id) ?? [];
        list.push(f);
        byId.set(f.cell_id, list);
      } else if (f.cell >= 0) {
        const list = byIndex.get(f.cell) ?? [];
        list.push(f);
        byIndex.set(f.cell, list);
      }
    }
    this.panel.content.widgets.forEach((cell, i) => {
      const mine = byId.get(cell.model.id) ?? byIndex.get(i) ?? [];
      this._host.store.set(
        cell.model,
        mine.filter(f => f.where === 'source')
      );
      this.renderBadges(cell, mine);
    });
    this._changed.emit();
  }

  /** The cell's badge row: one badge per rule, for findings in source, outputs and metadata. */
  renderBadges(cell: Cell<ICellModel>, findings?: IFinding[]): void {
    if (findings === undefined) {
      findings = this.findings.filter(f => f.cell_id === cell.model.id);
    }
    let row = cell.node.querySelector(':scope > .nbguard-badges') as HTMLElement | null;
    if (findings.length === 0) {
      row?.remove();
      cell.removeClass('nbguard-flagged');
      return;
    }
    cell.addClass('nbguard-flagged');
    if (!row) {
      row = document.createElement('div');
      row.className = 'nbguard-badges';
    }
    // right under the input; a cell that was not rendered yet gets it when it shows
    const input = cell.node.querySelector(':scope > .jp-Cell-inputWrapper');
    if (input) {
      if (input.nextElementSibling !== row) {
        input.insertAdjacentElement('afterend', row);
      }
    } else if (!row.isConnected) {
      cell.node.appendChild(row);
    }
    if (!this._watched.has(cell)) {
      this._watched.add(cell);
      cell.inViewportChanged.connect((c, inView) => {
        if (inView && !this._disposed) {
          this.renderBadges(c as Cell<ICellModel>);
        }
      });
    }
    const byRule = new Map<string, IFinding[]>();
    for (const f of findings) {
      byRule.set(f.rule, [...(byRule.get(f.rule) ?? []), f]);
    }
    const badges: HTMLElement[] = [];
    for (const [rule, list] of byRule) {
      const worst = list.reduce((a, b) => (sevRank(b) > sevRank(a) ? b : a));
      const badge = document.createElement('button');
      badge.className = `nbguard-badge nbguard-sev-${worst.severity}`;
      badge.dataset.rule = rule;
      badge.dataset.severity = worst.severity;
      badge.dataset.where = [...new Set(list.map(f => f.where))].join(' ');
      badge.textContent = `${rule} ${worst.name}${list.length > 1 ? ` ×${list.length}` : ''}`;
      badge.title = list.map(f => `${f.rule} [${f.severity}] ${location(f)}: ${f.message}`).join('\n');
      badge.addEventListener('click', event => {
        event.stopPropagation();
        this._host.badgeClicked(this.panel, list[0]);
      });
      badges.push(badge);
    }
    row.replaceChildren(...badges);
  }

  private _onContentChanged(): void {
    this._changes++;
    this.schedule();
  }

  private _payload(): any {
    const model = this.panel.content.model!;
    const metadata = { ...model.sharedModel.getMetadata() } as any;
    delete metadata.widgets; // widget state: large, and not text the rules read
    const cells = [];
    for (let i = 0; i < model.cells.length; i++) {
      const cell = model.cells.get(i);
      const json = cell.toJSON() as any;
      const out: any = {
        id: cell.id,
        cell_type: cell.type,
        source: cell.sharedModel.getSource(),
        metadata: json.metadata ?? {}
      };
      if (cell.type === 'code' && Array.isArray(json.outputs)) {
        out.outputs = json.outputs.map(textOnly);
      }
      cells.push(out);
    }
    // path and client first: the server drops a queued request this view has already replaced
    return { path: this.panel.context.path, client: this._client, cells, metadata };
  }

  private _client = `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;
  private _watched = new WeakSet<Cell<ICellModel>>();
  private _findings: IFinding[] = [];
  private _reply: ILintReply | null = null;
  private _status: LintStatus = 'idle';
  private _error: string | null = null;
  private _seq = 0;
  private _changes = 0;
  private _timer = 0;
  private _disposed = false;
  private _changed = new Signal<this, void>(this);
}

function sevRank(f: IFinding): number {
  return ['low', 'medium', 'high', 'critical'].indexOf(f.severity);
}

function clip(v: any): any {
  if (typeof v === 'string') {
    return v.length > MAX_TEXT ? v.slice(0, MAX_TEXT) : v;
  }
  if (Array.isArray(v)) {
    let total = 0;
    const kept: string[] = [];
    for (const s of v) {
      if (typeof s !== 'string' || total > MAX_TEXT) {
        break;
      }
      total += s.length;
      kept.push(s);
    }
    return kept;
  }
  return v;
}

/** An output with only what the rules read: stream text, errors and text MIME data (no images). */
function textOnly(o: any): any {
  const out: any = { output_type: o.output_type };
  if (o.output_type === 'stream') {
    out.name = o.name;
    out.text = clip(o.text);
  } else if (o.output_type === 'error') {
    out.ename = o.ename;
    out.evalue = clip(o.evalue);
    out.traceback = Array.isArray(o.traceback) ? o.traceback.slice(0, 200).map(clip) : [];
  }
  if (o.data && typeof o.data === 'object') {
    out.data = {};
    for (const [mime, value] of Object.entries(o.data)) {
      if (TEXT_MIME.has(mime) || (mime.endsWith('+json') && !mime.includes('widget'))) {
        out.data[mime] = typeof value === 'object' && !Array.isArray(value) ? value : clip(value);
      }
    }
  }
  return out;
}
