/**
 * Shapes of the nbguard REST API (see nbguard/server/handlers.py) and helpers
 * shared by the editor, badge, panel and status-bar views.
 */

export type Severity = 'low' | 'medium' | 'high' | 'critical';

export const SEVERITIES: Severity[] = ['low', 'medium', 'high', 'critical'];

/** One finding, as `Finding.to_dict()` on the server. */
export interface IFinding {
  path: string;
  rule: string;
  name: string;
  category: string;
  severity: Severity;
  cell: number;
  cell_id: string | null;
  cell_type: string | null;
  where: 'source' | 'output' | 'metadata';
  output: number | null;
  line: number;
  column: number;
  end_line: number;
  end_column: number;
  message: string;
  snippet: string;
  fix: string;
  cwe: number | null;
}

export interface ILintReply {
  findings: IFinding[];
  rules_version: string;
  /** A newer request for this notebook overtook this one on the server: not linted. */
  superseded?: boolean;
  excluded?: boolean;
  config_error?: string | null;
  cells: number;
  cached?: boolean;
  ms: number;
}

/** One rule, as `Rule.to_dict()` on the server. */
export interface IRule {
  code: string;
  name: string;
  category: string;
  severity: Severity;
  cwe: number | null;
  peers: string[];
  summary: string;
  fix: string;
  doc: string;
}

/** The user settings (schema/plugin.json). */
export interface ISettings {
  enabled: boolean;
  debounceDelay: number;
  minSeverity: Severity;
  ignoredRules: string[];
}

export const DEFAULT_SETTINGS: ISettings = {
  enabled: true,
  debounceDelay: 400,
  minSeverity: 'low',
  ignoredRules: []
};

export function severityRank(s: string): number {
  const i = SEVERITIES.indexOf(s as Severity);
  return i < 0 ? 0 : i;
}

/** Does the user want to see this finding? `ignoredRules` takes codes, code prefixes, names or categories. */
export function wanted(f: IFinding, settings: ISettings): boolean {
  if (severityRank(f.severity) < severityRank(settings.minSeverity)) {
    return false;
  }
  for (const raw of settings.ignoredRules) {
    const s = raw.trim();
    if (!s) {
      continue;
    }
    const up = s.toUpperCase();
    if (up === 'ALL') {
      return false;
    }
    if (up.startsWith('NBG') ? f.rule.startsWith(up) : s.toLowerCase() === f.name || s.toLowerCase() === f.category) {
      return false;
    }
  }
  return true;
}

/** CodeMirror's diagnostic severity for an nbguard severity. */
export function cmSeverity(s: Severity): 'error' | 'warning' | 'info' {
  return s === 'critical' || s === 'high' ? 'error' : s === 'medium' ? 'warning' : 'info';
}

export function where(f: IFinding): string {
  if (f.where === 'output') {
    return `output ${(f.output ?? 0) + 1}`;
  }
  return f.where === 'metadata' ? 'metadata' : '';
}

/** "cell 3, line 2:5" as people count (cells from 1). */
export function location(f: IFinding): string {
  const w = where(f);
  const cell = f.cell >= 0 ? `cell ${f.cell + 1}` : 'notebook';
  return `${cell}${w ? ` (${w})` : ''}, line ${f.line}:${f.column}`;
}
