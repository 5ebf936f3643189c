/**
 * The side panel: every finding of the current notebook; a click jumps to the
 * cell and line. Plain DOM (no React): one list, rebuilt on each change.
 */
import { LabIcon } from '@jupyterlab/ui-components';
import { Widget } from '@lumino/widgets';

import { IFinding, location } from './tokens';

export const shieldIcon = new LabIcon({
  name: 'nbguard:shield',
  svgstr:
    '<svg xmlns="http://www.w3.org/2000/svg" width="16" height="16" viewBox="0 0 24 24">' +
    '<path class="jp-icon3" fill="#616161" d="M12 1 3 5v6c0 5.55 3.84 10.74 9 12 5.16-1.26 9-6.45 9-12V5l-9-4zm0 ' +
    '10.99h7c-.53 4.12-3.28 7.79-7 8.94V12H5V6.3l7-3.11v8.8z"/></svg>'
});

export interface IPanelView {
  title: string;
  findings: IFinding[];
  status: string;
  error: string | null;
}

export class FindingsPanel extends Widget {
  constructor(
    private _onJump: (f: IFinding) => void,
    private _onExplain: (rule: string) => void
  ) {
    super();
    this.id = 'nbguard-panel';
    this.addClass('nbguard-panel');
    this.title.icon = shieldIcon;
    this.title.caption = 'nbguard findings';
    this._header = document.createElement('div');
    this._header.className = 'nbguard-panel-header';
    this._list = document.createElement('ul');
    this._list.className = 'nbguard-panel-list';
    this.node.append(this._header, this._list);
    this.setView({ title: '', findings: [], status: 'idle', error: null });
  }

  setView(view: IPanelView): void {
    const n = view.findings.length;
    const head = document.createElement('div');
    head.className = 'nbguard-panel-title';
    head.textContent = view.title ? `nbguard: ${view.title}` : 'nbguard: no notebook';
    const summary = document.createElement('div');
    summary.className = 'nbguard-panel-summary';
    summary.textContent = !view.title
      ? 'Open a notebook to see its findings.'
      : view.status === 'disabled'
        ? 'Inline linting is off (settings: enabled).'
        : `${n} finding${n === 1 ? '' : 's'}${view.status === 'linting' ? ' (linting…)' : ''}`;
    const parts: HTMLElement[] = [head, summary];
    if (view.error) {
      const err = document.createElement('div');
      err.className = 'nbguard-panel-error';
      err.textContent = view.error;
      parts.push(err);
    }
    this._header.replaceChildren(...parts);

    const rows = view.findings.map(f => {
      const li = document.createElement('li');
      li.className = `nbguard-row nbguard-sev-${f.severity}`;
      li.dataset.rule = f.rule;
      li.dataset.cellId = f.cell_id ?? '';
      li.dataset.line = String(f.line);
      li.tabIndex = 0;
      li.title = f.fix ? `Fix: ${f.fix}` : '';
      const sev = document.createElement('span');
      sev.className = `nbguard-sev nbguard-sev-${f.severity}`;
      sev.textContent = f.severity;
      const code = document.createElement('span');
      code.className = 'nbguard-row-rule';
      code.textContent = f.rule;
      const msg = document.createElement('span');
      msg.className = 'nbguard-row-message';
      msg.textContent = f.message;
      const loc = document.createElement('span');
      loc.className = 'nbguard-row-location';
      loc.textContent = location(f);
      const explain = document.createElement('a');
      explain.className = 'nbguard-explain';
      explain.textContent = 'explain';
      explain.href = '#';
      explain.addEventListener('click', e => {
        e.preventDefault();
        e.stopPropagation();
        this._onExplain(f.rule);
      });
      li.append(sev, code, msg, loc, explain);
      li.addEventListener('click', () => this._onJump(f));
      li.addEventListener('keydown', e => {
        if (e.key === 'Enter') {
          this._onJump(f);
        }
      });
      return li;
    });
    this._list.replaceChildren(...rows);
  }

  private _header: HTMLElement;
  private _list: HTMLElement;
}

/** Status-bar item: the finding count of the current notebook. */
export class StatusItem extends Widget {
  constructor(onClick: () => void) {
    super();
    this.addClass('nbguard-status');
    this.node.title = 'nbguard findings in this notebook (click for the list)';
    this.node.addEventListener('click', onClick);
    this.setCount(null, 'idle', null);
  }

  setCount(count: number | null, status: string, error: string | null): void {
    this.node.dataset.count = count === null ? '' : String(count);
    this.node.dataset.status = status;
    let text: string;
    if (status === 'disabled') {
      text = 'nbguard: off';
    } else if (status === 'error') {
      text = 'nbguard: error';
    } else if (count === null) {
      text = 'nbguard';
    } else {
      text = `nbguard: ${count}`;
    }
    this.node.textContent = text;
    this.node.title = error ?? 'nbguard findings in this notebook (click for the list)';
  }
}
