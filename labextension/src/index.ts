/**
 * nbguard for JupyterLab: security findings inline while you type.
 *
 * On notebook open and after each edit (debounced) the notebook's cells go to
 * the nbguard server extension (`POST {baseUrl}/nbguard/lint`); the answer shows
 * as CodeMirror diagnostics on the exact range, badges on the cells, a side
 * panel (click to jump) and a status-bar count.
 */
import {
  ILabShell,
  ILayoutRestorer,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { ICommandPalette, MainAreaWidget } from '@jupyterlab/apputils';
import { IEditorExtensionRegistry } from '@jupyterlab/codemirror';
import { INotebookTracker, NotebookPanel } from '@jupyterlab/notebook';
import { IRenderMimeRegistry, MimeModel } from '@jupyterlab/rendermime';
import { ServerConnection } from '@jupyterlab/services';
import { ISettingRegistry } from '@jupyterlab/settingregistry';
import { IStatusBar } from '@jupyterlab/statusbar';
import { MarkdownCell } from '@jupyterlab/cells';
import { Signal } from '@lumino/signaling';
import { Widget } from '@lumino/widgets';

import { DiagnosticsStore } from './editor';
import { ILinterHost, NotebookLinter } from './linter';
import { FindingsPanel, shieldIcon, StatusItem } from './panel';
import { requestAPI } from './request';
import { DEFAULT_SETTINGS, IFinding, IRule, ISettings } from './tokens';

const PLUGIN_ID = 'nbguard:plugin';

namespace CommandIDs {
  export const lint = 'nbguard:lint';
  export const showPanel = 'nbguard:show-panel';
  export const explain = 'nbguard:explain';
  export const toggle = 'nbguard:toggle';
}

class Extension implements ILinterHost {
  constructor(
    readonly app: JupyterFrontEnd,
    readonly tracker: INotebookTracker,
    readonly rendermime: IRenderMimeRegistry | null
  ) {
    this.serverSettings = app.serviceManager.serverSettings;
    this.store = new DiagnosticsStore(f => this.tooltip(f));
    this.panel = new FindingsPanel(
      f => void this.jumpTo(this.tracker.currentWidget, f),
      rule => void app.commands.execute(CommandIDs.explain, { rule })
    );
    this.status = new StatusItem(() => void app.commands.execute(CommandIDs.showPanel));
    tracker.widgetAdded.connect((_, panel) => this.track(panel));
    tracker.forEach(panel => this.track(panel)); // notebooks opened before this plugin started
    tracker.currentChanged.connect(() => {
      this.refresh();
      this.currentChanged.emit();
    });
  }

  /** The current notebook changed (the status item shows only for notebooks). */
  readonly currentChanged = new Signal<this, void>(this);

  settings: ISettings = { ...DEFAULT_SETTINGS };
  readonly store: DiagnosticsStore;
  readonly serverSettings: ServerConnection.ISettings;
  readonly panel: FindingsPanel;
  readonly status: StatusItem;
  readonly linters = new Map<NotebookPanel, NotebookLinter>();
  rules = new Map<string, IRule>();

  async loadRules(): Promise<void> {
    try {
      const rules = await requestAPI<IRule[]>('rules', {}, this.serverSettings);
      this.rules = new Map(rules.map(r => [r.code, r]));
    } catch (error) {
      console.warn('nbguard: cannot load the rule list:', error);
    }
  }

  updateSettings(settings: ISettings): void {
    const wasEnabled = this.settings.enabled;
    this.settings = settings;
    for (const linter of this.linters.values()) {
      linter.render();
      if (settings.enabled && !wasEnabled) {
        void linter.lint();
      }
    }
    this.refresh();
  }

  track(panel: NotebookPanel): void {
    void panel.context.ready.then(() => {
      if (panel.isDisposed || this.linters.has(panel)) {
        return;
      }
      const linter = new NotebookLinter(panel, this);
      this.linters.set(panel, linter);
      linter.changed.connect(() => {
        if (this.tracker.currentWidget === panel) {
          this.refresh();
        }
      });
      panel.disposed.connect(() => {
        linter.dispose();
        this.linters.delete(panel);
        this.refresh();
      });
      void linter.lint();
    });
  }

  current(): NotebookLinter | null {
    const panel = this.tracker.currentWidget;
    return panel ? (this.linters.get(panel) ?? null) : null;
  }

  /** Update the side panel and the status bar from the current notebook. */
  refresh(): void {
    const panel = this.tracker.currentWidget;
    const linter = this.current();
    const findings = linter ? linter.findings : [];
    const status = linter ? linter.status : this.settings.enabled ? 'idle' : 'disabled';
    this.panel.setView({
      title: panel ? panel.context.path : '',
      findings,
      status,
      error: linter?.error ?? null
    });
    this.status.setCount(linter && linter.lastReply ? findings.length : null, status, linter?.error ?? null);
  }

  badgeClicked(panel: NotebookPanel, finding: IFinding): void {
    this.app.shell.activateById(this.panel.id);
    void this.jumpTo(panel, finding);
  }

  /** Select the finding's cell, scroll to it and put the cursor on the line. */
  async jumpTo(panel: NotebookPanel | null, f: IFinding): Promise<void> {
    if (!panel) {
      return;
    }
    const notebook = panel.content;
    let index = notebook.widgets.findIndex(c => c.model.id === f.cell_id);
    if (index < 0) {
      index = f.cell;
    }
    if (index < 0 || index >= notebook.widgets.length) {
      return;
    }
    this.app.shell.activateById(panel.id);
    notebook.activeCellIndex = index;
    const cell = notebook.widgets[index];
    await notebook.scrollToItem(index, 'center');
    await cell.ready;
    if (f.where === 'source' && cell.editor) {
      if (cell instanceof MarkdownCell) {
        cell.rendered = false;
      }
      notebook.mode = 'edit';
      const line = Math.max(0, f.line - 1);
      cell.editor.setCursorPosition({ line, column: Math.max(0, f.column - 1) });
      cell.editor.focus();
    } else {
      notebook.mode = 'command';
      cell.node.scrollIntoView({ block: 'center' });
    }
  }

  /** The hover text of one finding: message, rule, severity, fix and a link to the explanation. */
  tooltip(f: IFinding): HTMLElement {
    const rule = this.rules.get(f.rule);
    const root = document.createElement('div');
    root.className = 'nbguard-tooltip';
    const head = document.createElement('div');
    head.className = 'nbguard-tooltip-head';
    const sev = document.createElement('span');
    sev.className = `nbguard-sev nbguard-sev-${f.severity}`;
    sev.textContent = f.severity;
    const code = document.createElement('strong');
    code.textContent = f.rule;
    const name = document.createElement('span');
    name.className = 'nbguard-tooltip-name';
    name.textContent = `${f.name} · ${f.category}`;
    head.append(sev, ' ', code, ' ', name);
    const msg = document.createElement('div');
    msg.className = 'nbguard-tooltip-message';
    msg.textContent = f.message;
    root.append(head, msg);
    const fix = f.fix || rule?.fix;
    if (fix) {
      const fixEl = document.createElement('div');
      fixEl.className = 'nbguard-tooltip-fix';
      fixEl.textContent = `Fix: ${fix}`;
      root.append(fixEl);
    }
    const links = document.createElement('div');
    links.className = 'nbguard-tooltip-links';
    const explain = document.createElement('a');
    explain.className = 'nbguard-explain';
    explain.href = '#';
    explain.textContent = `Explain ${f.rule}`;
    explain.addEventListener('click', e => {
      e.preventDefault();
      void this.app.commands.execute(CommandIDs.explain, { rule: f.rule });
    });
    links.append(explain);
    if (f.cwe) {
      const cwe = document.createElement('a');
      cwe.href = `https://cwe.mitre.org/data/definitions/${f.cwe}.html`;
      cwe.target = '_blank';
      cwe.rel = 'noopener noreferrer';
      cwe.textContent = `CWE-${f.cwe}`;
      links.append(' · ', cwe);
    }
    root.append(links);
    return root;
  }

  /** A main-area tab with the rule's documentation. */
  async explain(code: string): Promise<void> {
    if (!this.rules.has(code)) {
      await this.loadRules();
    }
    const rule = this.rules.get(code);
    const id = `nbguard-explain-${code}`;
    const open = Array.from(this.app.shell.widgets('main')).find(w => w.id === id);
    if (open) {
      this.app.shell.activateById(id);
      return;
    }
    const content = new Widget();
    content.addClass('nbguard-explanation');
    const doc = rule
      ? `# ${rule.code} ${rule.name}\n\n*${rule.category} · ${rule.severity}${rule.cwe ? ` · CWE-${rule.cwe}` : ''}*\n\n${rule.doc}`
      : `# ${code}\n\nUnknown rule.`;
    if (this.rendermime) {
      const renderer = this.rendermime.createRenderer('text/markdown');
      await renderer.renderModel(new MimeModel({ data: { 'text/markdown': doc } }));
      content.node.appendChild(renderer.node);
    } else {
      const pre = document.createElement('pre');
      pre.textContent = doc;
      content.node.appendChild(pre);
    }
    const widget = new MainAreaWidget({ content });
    widget.id = id;
    widget.title.label = `nbguard ${code}`;
    widget.title.icon = shieldIcon;
    widget.title.closable = true;
    this.app.shell.add(widget, 'main', { mode: 'split-right' });
    this.app.shell.activateById(id);
  }
}

function readSettings(s: ISettingRegistry.ISettings): ISettings {
  const c = s.composite as any;
  return {
    enabled: typeof c.enabled === 'boolean' ? c.enabled : DEFAULT_SETTINGS.enabled,
    debounceDelay: typeof c.debounceDelay === 'number' ? c.debounceDelay : DEFAULT_SETTINGS.debounceDelay,
    minSeverity: typeof c.minSeverity === 'string' ? c.minSeverity : DEFAULT_SETTINGS.minSeverity,
    ignoredRules: Array.isArray(c.ignoredRules) ? c.ignoredRules : DEFAULT_SETTINGS.ignoredRules
  };
}

const plugin: JupyterFrontEndPlugin<void> = {
  id: PLUGIN_ID,
  description: 'Security findings of nbguard, inline in notebooks, while you type.',
  autoStart: true,
  requires: [INotebookTracker, IEditorExtensionRegistry],
  optional: [ISettingRegistry, ICommandPalette, IStatusBar, ILabShell, ILayoutRestorer, IRenderMimeRegistry],
  activate: (
    app: JupyterFrontEnd,
    tracker: INotebookTracker,
    editorExtensions: IEditorExtensionRegistry,
    settingRegistry: ISettingRegistry | null,
    palette: ICommandPalette | null,
    statusBar: IStatusBar | null,
    labShell: ILabShell | null,
    restorer: ILayoutRestorer | null,
    rendermime: IRenderMimeRegistry | null
  ) => {
    const ext = new Extension(app, tracker, rendermime);
    editorExtensions.addExtension(ext.store.factory());
    void ext.loadRules();

    app.shell.add(ext.panel, 'right', { rank: 900 });
    restorer?.add(ext.panel, ext.panel.id);
    if (statusBar) {
      statusBar.registerStatusItem('nbguard:status', {
        item: ext.status,
        align: 'left',
        rank: 5,
        isActive: () => tracker.currentWidget !== null,
        activeStateChanged: ext.currentChanged
      });
    }

    app.commands.addCommand(CommandIDs.lint, {
      label: 'nbguard: Lint notebook',
      caption: 'Check the current notebook for security problems now',
      isEnabled: () => tracker.currentWidget !== null,
      execute: async () => {
        const linter = ext.current();
        if (linter) {
          await linter.lint();
          app.shell.activateById(ext.panel.id);
        }
      }
    });
    app.commands.addCommand(CommandIDs.showPanel, {
      label: 'nbguard: Show findings',
      execute: () => app.shell.activateById(ext.panel.id)
    });
    app.commands.addCommand(CommandIDs.explain, {
      label: args => (args.rule ? `nbguard: Explain ${args.rule as string}` : 'nbguard: Explain rule'),
      execute: args => ext.explain(String(args.rule ?? ''))
    });
    app.commands.addCommand(CommandIDs.toggle, {
      label: 'nbguard: Inline linting',
      isToggled: () => ext.settings.enabled,
      execute: async () => {
        if (settingRegistry) {
          await settingRegistry.set(PLUGIN_ID, 'enabled', !ext.settings.enabled);
        } else {
          ext.updateSettings({ ...ext.settings, enabled: !ext.settings.enabled });
        }
      }
    });
    if (palette) {
      for (const command of [CommandIDs.lint, CommandIDs.showPanel, CommandIDs.toggle]) {
        palette.addItem({ command, category: 'nbguard' });
      }
    }

    if (settingRegistry) {
      settingRegistry
        .load(PLUGIN_ID)
        .then(settings => {
          ext.updateSettings(readSettings(settings));
          settings.changed.connect(() => ext.updateSettings(readSettings(settings)));
        })
        .catch(reason => console.error('nbguard: cannot load settings', reason));
    }
    labShell?.currentChanged.connect(() => ext.refresh());
  }
};

export default plugin;
